/**
 * Search across every readable KB or the chosen ones, each in its retrieval mode. Each result
 * is a compact citation (KB, document, chunk, its score explained, the query's words marked)
 * that opens the document viewer at that chunk. The query and the KB choice live in the URL,
 * so a search can be shared and reloaded. The page claims no more than the search does.
 */
import { describeLocation } from '@lumikb/contracts/chunk-location';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
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

  const body = { query: q, top_k: Number(topK), ...(selected.length > 0 ? { kb_ids: selected } : {}) };
  // Searching again for the same words asks the server again (the button), but going back to
  // an earlier search shows its results at once.
  const results = useQuery<SearchResponse>(keys.search(body), () => call(api.POST('/api/v1/search', { body })), {
    enabled: q.trim().length > 0,
  });

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
        description="Find passages in your knowledge bases, ordered by how similar each passage's embedding is to the query's. Open a result to see it highlighted in its document."
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
            Type a question or keywords above. Each knowledge base is searched in its retrieval mode (keywords,
            embeddings or both), and the words of your query are marked in each passage.
          </Empty>
        ) : results.loading ? (
          <Loading label="Searching…" />
        ) : results.error && !results.data ? (
          <ErrorState error={results.error} onRetry={results.reload} />
        ) : results.data ? (
          <Results data={results.data} names={names} terms={termsOf(results.data.query)} />
        ) : null}
      </section>
    </>
  );
}

/** Small words that would mark half of every passage. */
const STOPWORDS = new Set(
  'a an and are as at be by can do does for from has have how i in is it its many much of on or the this to was what when where which who why will with you your'.split(
    ' ',
  ),
);

/** The query's words worth marking in a passage (lower case, longest first). */
export function termsOf(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 2 && !STOPWORDS.has(w)))].sort((a, b) => b.length - a.length);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text with each word that starts with a query term wrapped in <mark>. */
function Highlighted({ text, terms }: { text: string; terms: string[] }) {
  if (terms.length === 0) return <>{text}</>;
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.map(escapeRe).join('|')})[\\p{L}\\p{N}]*`, 'giu');
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    parts.push(<mark key={at}>{m[0]}</mark>);
    last = at + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}

/** Up to `max` characters of the passage, starting a little before its first marked word. */
function excerpt(text: string, terms: string[], max = 320): string {
  if (text.length <= max) return text;
  const lower = text.toLowerCase();
  const hits = terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0);
  const first = hits.length > 0 ? Math.min(...hits) : 0;
  const start = Math.max(0, Math.min(first - 60, text.length - max));
  const body = text.slice(start, start + max);
  return `${start > 0 ? '…' : ''}${body}${start + max < text.length ? '…' : ''}`;
}

function Results({ data, names, terms }: { data: SearchResponse; names: Map<string, string>; terms: string[] }) {
  const failed = new Set(data.errors.map((e) => e.kb_id));
  const nameOf = (id: string) => names.get(id) ?? data.results.find((r) => r.kb_id === id)?.kb_name ?? id;
  const answered = data.searched_kb_ids.filter((id) => !failed.has(id));
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
                  {nameOf(e.kb_id)}: {e.message} <code>{e.code}</code>
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
      <p className="muted result-count" aria-live="polite" data-testid="result-summary">
        {`${data.results.length} passage${data.results.length === 1 ? '' : 's'}`}
        {answered.length > 0 ? ` from ${answered.map(nameOf).join(', ')}` : ''}
        {failed.size > 0 ? ` · not searched: ${[...failed].map(nameOf).join(', ')}` : ''}
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
              terms={terms}
              mode={data.retrieval.find((r) => r.kb_id === hit.kb_id)?.mode}
            />
          ))}
        </ol>
      )}
    </>
  );
}

/**
 * A vector similarity is a meaningful number; BM25 and fused scores are not (docs/retrieval.md),
 * so keyword and hybrid hits show where each ranking put them instead.
 */
function scoreLabel(hit: SearchHit, mode: string | undefined): { text: string; title: string } {
  if (mode === 'vector') {
    const similarity = hit.score.toFixed(2);
    return {
      text: `similarity ${similarity}`,
      title: `similarity ${similarity} — cosine between the query and the passage (1 = same direction, 0 = unrelated), by the knowledge base's embedding model`,
    };
  }
  const parts = [
    hit.ranks.lexical !== null ? `keyword #${hit.ranks.lexical}` : null,
    hit.ranks.vector !== null ? `vector #${hit.ranks.vector}` : null,
  ].filter((p): p is string => p !== null);
  return {
    text: parts.join(' · '),
    title:
      'Position in its knowledge base’s keyword ranking (BM25: the query’s words, weighted by how rare they are) and vector ranking (similarity of embeddings)',
  };
}

function ResultItem({
  hit,
  rank,
  terms,
  mode,
}: {
  hit: SearchHit;
  rank: number;
  terms: string[];
  mode: string | undefined;
}) {
  const score = scoreLabel(hit, mode);
  const to = viewerPath(hit.kb_id, hit.document_id, hit.chunk_index);
  const where = hit.location ? describeLocation(hit.location) : '';
  return (
    <li className="result-item">
      <div className="result-head">
        <span className="citation-badge" aria-hidden="true">
          {rank}
        </span>
        <Link to={to} className="result-title">
          {hit.document_name}
          <span className="sr-only">, chunk {hit.chunk_index + 1}</span>
        </Link>
        <span className="score" data-testid="hit-score" title={score.title}>
          {score.text}
        </span>
      </div>
      <p className="result-text">
        <Highlighted text={excerpt(hit.text, terms)} terms={terms} />
      </p>
      <p className="result-meta muted">
        {hit.kb_name} · chunk {hit.chunk_index + 1}
        {where ? (
          <>
            {' · '}
            <span data-testid="hit-location">{where}</span>
          </>
        ) : null}
        {' · '}
        <Link to={to} aria-label={`Open ${hit.document_name} at chunk ${hit.chunk_index + 1}`}>
          Open in viewer
        </Link>
      </p>
    </li>
  );
}
