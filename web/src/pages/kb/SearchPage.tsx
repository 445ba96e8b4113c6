/**
 * Search across every readable KB or the chosen ones, each in its retrieval mode. Each result is a citation
 * (KB, document, chunk, relevance) that opens the document viewer at that chunk. The
 * query and the KB choice live in the URL, so a search can be shared and reloaded.
 */
import { describeLocation } from '@lumikb/contracts/chunk-location';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField } from '../../components/Field.tsx';
import { PageHeader } from '../../components/Layout.tsx';
import { Empty, ErrorBanner, ErrorState, Loading } from '../../components/States.tsx';
import { type SearchHit, type SearchResponse, useReadableKbs, viewerPath } from './kbApi.ts';

const TOP_K = ['5', '10', '20', '50'];

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const selected = params.getAll('kb');
  const topK = TOP_K.includes(params.get('k') ?? '') ? (params.get('k') as string) : '10';
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const kbs = useReadableKbs();

  const results = useQuery<SearchResponse | undefined>(
    () =>
      call(
        api.POST('/api/v1/search', {
          body: { query: q, top_k: Number(topK), ...(selected.length > 0 ? { kb_ids: selected } : {}) },
        }),
      ),
    [q, selected.join(','), topK],
    { enabled: q.trim().length > 0 },
  );

  const update = (patch: { q?: string; kb?: string[]; k?: string }) => {
    const next = new URLSearchParams();
    const nq = patch.q ?? q;
    if (nq) next.set('q', nq);
    for (const id of patch.kb ?? selected) next.append('kb', id);
    const nk = patch.k ?? topK;
    if (nk !== '10') next.set('k', nk);
    setParams(next);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (text === q) void results.reload();
    else update({ q: text });
  };

  const toggle = (id: string, on: boolean) => update({ kb: on ? [...selected, id] : selected.filter((x) => x !== id) });
  const names = new Map((kbs.data ?? []).map((k) => [k.id, k.name]));

  return (
    <>
      <PageHeader
        title="Search"
        description="Find passages by meaning across your knowledge bases. Open a result to see it highlighted in its document."
      />
      <search>
        <form className="search-form" onSubmit={submit} aria-label="Search the knowledge bases">
          <div className="search-bar">
            <label htmlFor="search-query" className="sr-only">
              Search query
            </label>
            <input
              id="search-query"
              className="input search-input"
              type="search"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              placeholder="Ask or describe what you are looking for"
              autoComplete="off"
              maxLength={2000}
            />
            <Button type="submit" variant="primary" disabled={!draft.trim()} loading={results.fetching}>
              Search
            </Button>
          </div>
          <div className="search-options">
            <fieldset className="kb-choice">
              <legend className="kb-choice-legend">Knowledge bases</legend>
              {kbs.loading ? (
                <Loading label="Loading knowledge bases…" />
              ) : kbs.error ? (
                <ErrorBanner error={kbs.error} title="Could not list the knowledge bases" />
              ) : (kbs.data ?? []).length === 0 ? (
                <p className="muted">No knowledge base is shared with you yet.</p>
              ) : (
                <div className="kb-chips">
                  <label className={`kb-chip ${selected.length === 0 ? 'kb-chip-on' : ''}`}>
                    <input type="checkbox" checked={selected.length === 0} onChange={() => update({ kb: [] })} />
                    All ({kbs.data?.length})
                  </label>
                  {(kbs.data ?? []).map((kb) => (
                    <label key={kb.id} className={`kb-chip ${selected.includes(kb.id) ? 'kb-chip-on' : ''}`}>
                      <input
                        type="checkbox"
                        checked={selected.includes(kb.id)}
                        onChange={(e) => toggle(kb.id, e.target.checked)}
                      />
                      {kb.name}
                    </label>
                  ))}
                </div>
              )}
            </fieldset>
            <SelectField
              label="Results"
              value={topK}
              onChange={(k) => update({ k })}
              options={TOP_K.map((k) => ({ value: k, label: `Top ${k}` }))}
              className="search-topk"
            />
          </div>
        </form>
      </search>

      <section className="section" aria-label="Search results" aria-busy={results.fetching}>
        {!q ? (
          <Empty title="Search your documents">
            Type a question or keywords above. Results are ranked by meaning, not only by matching words.
          </Empty>
        ) : results.loading ? (
          <Loading label="Searching…" />
        ) : results.error && !results.data ? (
          <ErrorState error={results.error} onRetry={results.reload} />
        ) : results.data ? (
          <Results data={results.data} names={names} />
        ) : null}
      </section>
    </>
  );
}

function Results({ data, names }: { data: SearchResponse; names: Map<string, string> }) {
  return (
    <>
      {data.errors.length > 0 ? (
        <div className="banner banner-warning" role="alert">
          <div className="banner-body">
            <strong>
              {data.errors.length} knowledge base{data.errors.length === 1 ? '' : 's'} could not be searched
            </strong>
            <ul>
              {data.errors.map((e) => (
                <li key={e.kb_id}>
                  {names.get(e.kb_id) ?? e.kb_id}: {e.message} <code>{e.code}</code>
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
      <p className="muted" aria-live="polite">
        {data.results.length === 0
          ? ''
          : `${data.results.length} passage${data.results.length === 1 ? '' : 's'} from ${data.searched_kb_ids.length} knowledge base${data.searched_kb_ids.length === 1 ? '' : 's'}`}
      </p>
      {data.results.length === 0 ? (
        <Empty title={`Nothing found for "${data.query}"`}>
          Try other words, or search more knowledge bases. Documents that are still processing are not searchable yet.
        </Empty>
      ) : (
        <ol className="results" aria-label="Results">
          {data.results.map((hit, i) => (
            <ResultItem
              key={`${hit.document_id}:${hit.chunk_index}`}
              hit={hit}
              rank={i + 1}
              mode={data.retrieval.find((r) => r.kb_id === hit.kb_id)?.mode}
            />
          ))}
        </ol>
      )}
    </>
  );
}

/**
 * A similarity is a meaningful percentage; BM25 and fused scores are not (docs/retrieval.md),
 * so keyword and hybrid hits show where each ranking put them instead.
 */
function scoreLabel(hit: SearchHit, mode: string | undefined): { text: string; title: string } {
  if (mode === 'vector') return { text: `${(hit.score * 100).toFixed(0)}%`, title: 'Relevance (vector similarity)' };
  const parts = [
    hit.ranks.lexical !== null ? `keyword #${hit.ranks.lexical}` : null,
    hit.ranks.vector !== null ? `vector #${hit.ranks.vector}` : null,
  ].filter((p): p is string => p !== null);
  return { text: parts.join(' · '), title: 'Position in the keyword and vector rankings of its knowledge base' };
}

function ResultItem({ hit, rank, mode }: { hit: SearchHit; rank: number; mode: string | undefined }) {
  const score = scoreLabel(hit, mode);
  const to = viewerPath(hit.kb_id, hit.document_id, hit.chunk_index);
  return (
    <li className="result-item card">
      <div className="result-head">
        <span className="citation-badge" aria-hidden="true">
          {rank}
        </span>
        <Link to={to} className="result-title">
          {hit.document_name}
          <span className="sr-only">, chunk {hit.chunk_index + 1}</span>
        </Link>
        <span className="score" title={score.title}>
          {score.text}
        </span>
      </div>
      <p className="result-meta muted">
        {hit.kb_name} · chunk {hit.chunk_index + 1}
        {hit.location && describeLocation(hit.location) ? (
          <>
            {' · '}
            <span data-testid="hit-location">{describeLocation(hit.location)}</span>
          </>
        ) : null}{' '}
        · characters {hit.start_offset}–{hit.end_offset}
      </p>
      <p className="result-text">{hit.text.length > 600 ? `${hit.text.slice(0, 600)}…` : hit.text}</p>
      <Link
        to={to}
        className="btn btn-sm btn-secondary"
        aria-label={`Open ${hit.document_name} at chunk ${hit.chunk_index + 1}`}
      >
        Open in viewer
      </Link>
    </li>
  );
}
