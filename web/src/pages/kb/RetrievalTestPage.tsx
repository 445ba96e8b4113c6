/**
 * A KB's retrieval test (as Dify's hit testing): run a query against this one KB, in its
 * own mode or another, and see the ranked chunks with each ranking's position and the
 * score the mode gives. Nothing is saved; it is `POST /api/v1/search` with this KB only.
 */
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useMutation, useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { PageHeader } from '../../components/Layout.tsx';
import { Empty, ErrorBanner, Loading } from '../../components/States.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { type SearchHit, type SearchResponse, useDocumentTitle, viewerPath } from './kbApi.ts';

type Mode = '' | 'hybrid' | 'keyword' | 'vector';
const MODES: { value: Mode; label: string }[] = [
  { value: '', label: 'The KB’s own mode' },
  { value: 'hybrid', label: 'Hybrid (keyword + vector)' },
  { value: 'keyword', label: 'Keyword (BM25)' },
  { value: 'vector', label: 'Vector' },
];
const TOP_K = ['5', '10', '20', '50'];

/** What each mode's score means (docs/retrieval.md). */
const SCORE_MEANS: Record<string, string> = {
  hybrid:
    'Fused score: Σ 1/(k + rank) over the keyword and vector rankings (reciprocal-rank fusion), or the weighted sum of both scaled scores. Compare within this KB only.',
  keyword: 'BM25 score: the query’s words, weighted by how rare they are in this KB. It has no fixed range.',
  vector:
    'Similarity of the query’s and the chunk’s embeddings on the cosine scale (1 = same direction, 0 = unrelated).',
};

export function RetrievalTestPage() {
  const { kbId = '' } = useParams();
  const kb = useQuery(keys.kbs.detail(kbId), () =>
    call(api.GET('/api/v1/knowledge-bases/{id}', { params: { path: { id: kbId } } })),
  );
  useDocumentTitle(kb.data ? `Retrieval test · ${kb.data.name}` : undefined);
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<Mode>('');
  const [topK, setTopK] = useState('10');
  const [result, setResult] = useState<SearchResponse | undefined>(undefined);
  const search = useMutation((body: { query: string; top_k: number; retrieval_mode?: Exclude<Mode, ''> }) =>
    call(api.POST('/api/v1/search', { body: { ...body, kb_ids: [kbId] } })),
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = query.trim();
    if (!text) return;
    const answer = await search.run({ query: text, top_k: Number(topK), ...(mode ? { retrieval_mode: mode } : {}) });
    if (answer) setResult(answer);
  };

  if (kb.loading && !kb.data) return <Loading label="Loading the knowledge base…" />;
  const name = kb.data?.name ?? 'Knowledge base';
  const ran = result?.retrieval[0];
  const columns: Column<SearchHit & { rank: number }>[] = [
    { key: 'rank', header: '#', render: (h) => h.rank, align: 'right', width: '3rem' },
    {
      key: 'chunk',
      header: 'Chunk',
      render: (h) => (
        <>
          <Link to={viewerPath(h.kb_id, h.document_id, h.chunk_index)}>
            {h.document_name} · chunk {h.chunk_index + 1}
          </Link>
          <span className="cell-sub retrieval-test-text">{h.text.slice(0, 240)}</span>
        </>
      ),
    },
    {
      key: 'score',
      header: <span title={SCORE_MEANS[result?.mode ?? ''] ?? ''}>Score</span>,
      render: (h) => <span data-testid="rt-score">{h.score.toFixed(3)}</span>,
      align: 'right',
    },
    {
      key: 'lexical',
      header: <span title="Position in the keyword (BM25) ranking; — when not among its candidates">Keyword rank</span>,
      render: (h) => <span data-testid="rt-lexical">{h.ranks.lexical ?? '—'}</span>,
      align: 'right',
    },
    {
      key: 'vector',
      header: <span title="Position in the vector ranking; — when not among its candidates">Vector rank</span>,
      render: (h) => <span data-testid="rt-vector">{h.ranks.vector ?? '—'}</span>,
      align: 'right',
    },
    // Rerank rank goes here once a KB can name a rerank model.
  ];

  return (
    <>
      <PageHeader
        title="Retrieval test"
        breadcrumb={[
          { label: 'Knowledge bases', to: '/kbs' },
          { label: name, to: `/kbs/${kbId}` },
        ]}
        description="Try a query against this knowledge base and see which chunks each ranking finds, and where. Nothing is saved."
      />
      <form className="toolbar" onSubmit={submit} aria-label="Retrieval test query">
        <TextField label="Query" value={query} onChange={setQuery} maxLength={2000} required />
        <SelectField label="Mode" value={mode} onChange={(v) => setMode(v as Mode)} options={MODES} />
        <SelectField
          label="Results"
          value={topK}
          onChange={setTopK}
          options={TOP_K.map((k) => ({ value: k, label: k }))}
        />
        <Button type="submit" disabled={search.pending}>
          {search.pending ? 'Testing…' : 'Test'}
        </Button>
      </form>
      {search.error && <ErrorBanner error={search.error} />}
      {result && ran && (
        <section aria-label="Retrieval test results">
          <p data-testid="rt-summary">
            Ran <strong>{ran.mode}</strong>
            {ran.query_terms !== null ? ` · ${ran.query_terms} keyword term${ran.query_terms === 1 ? '' : 's'}` : ''}
            {ran.lexical_index === 'building' ? ' · keyword index still being built' : ''}
            {ran.lexical_index === 'empty' ? ' · no keyword index' : ''}
            {result.query_truncated ? ' · query cut to its first 64 terms' : ''}
          </p>
          <p className="muted" data-testid="rt-score-legend">
            Score: {SCORE_MEANS[ran.mode]}
          </p>
          {result.results.length === 0 ? (
            <Empty title="No chunk found">No chunk of this knowledge base matched the query in this mode.</Empty>
          ) : (
            <Table
              label="Ranked chunks"
              columns={columns}
              rows={result.results.map((h, i) => ({ ...h, rank: i + 1 }))}
              rowKey={(h) => `${h.document_id}:${h.chunk_index}`}
            />
          )}
        </section>
      )}
    </>
  );
}
