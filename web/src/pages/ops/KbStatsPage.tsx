/** Per knowledge base: documents by status, chunks, vectors, storage and models; platform totals. */
import { useState } from 'react';
import { api, call, type ResponseOf } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { TextField } from '../../components/Field.tsx';
import { formatBytes, formatDateTime, formatNumber, formatRelative, kbLabel } from '../../components/format.ts';
import { CardGrid, PageHeader, StatCard, Toolbar } from '../../components/Layout.tsx';
import { Empty, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';

type KbStat = ResponseOf<'/api/v1/admin/kb-stats', 'get'>['items'][number];

export function KbStatsPage() {
  const stats = useQuery(keys.admin.kbStats, () => call(api.GET('/api/v1/admin/kb-stats')), { pollMs: 15_000 });
  // Model names for the ids the stats carry (operators may not read the admin model list).
  const models = useQuery(keys.availableModels, () => call(api.GET('/api/v1/models/available')));
  const [q, setQ] = useState('');
  const modelName = (id: string) => models.data?.items.find((m) => m.id === id)?.name ?? `${id.slice(0, 8)}…`;

  const columns: Column<KbStat>[] = [
    {
      key: 'name',
      header: 'Knowledge base',
      render: (k) => (
        <span>
          <strong>{kbLabel(k)}</strong>
          <span className="cell-sub">created {formatDateTime(k.created_at)}</span>
        </span>
      ),
    },
    {
      key: 'docs',
      header: 'Documents',
      render: (k) => (
        <span className="row">
          <strong>{formatNumber(k.documents.total)}</strong>
          {k.documents.READY ? <StatusBadge status="READY">{k.documents.READY} ready</StatusBadge> : null}
          {k.documents.PROCESSING + k.documents.PENDING ? (
            <StatusBadge status="PROCESSING">{k.documents.PROCESSING + k.documents.PENDING} in progress</StatusBadge>
          ) : null}
          {k.documents.FAILED ? <StatusBadge status="FAILED">{k.documents.FAILED} failed</StatusBadge> : null}
        </span>
      ),
    },
    { key: 'chunks', header: 'Chunks', align: 'right', render: (k) => formatNumber(k.chunk_count) },
    {
      key: 'vectors',
      header: 'Vectors',
      align: 'right',
      hideOnMobile: true,
      render: (k) =>
        k.vector_count === null ? (
          <span className="muted" title="The vector store did not answer">
            unknown
          </span>
        ) : k.vector_count !== k.chunk_count ? (
          <span title="Vectors and chunks differ: documents may still be indexing">
            {formatNumber(k.vector_count)} <StatusBadge status="warning">≠ chunks</StatusBadge>
          </span>
        ) : (
          formatNumber(k.vector_count)
        ),
    },
    { key: 'storage', header: 'Storage', align: 'right', render: (k) => formatBytes(k.storage_bytes) },
    {
      key: 'models',
      header: 'Models',
      hideOnMobile: true,
      render: (k) => (
        <span>
          {modelName(k.embedding_model_id)}
          <span className="cell-sub">{modelName(k.generation_model_id)}</span>
        </span>
      ),
    },
    {
      key: 'upload',
      header: 'Last upload',
      hideOnMobile: true,
      render: (k) => <span title={formatDateTime(k.last_upload_at)}>{formatRelative(k.last_upload_at)}</span>,
    },
  ];

  return (
    <>
      <PageHeader
        title="KB statistics"
        description="Size and health of every knowledge base."
        actions={
          <Button onClick={() => void stats.reload()} loading={stats.fetching && !stats.loading}>
            Refresh
          </Button>
        }
      />
      <QueryView
        query={stats}
        loadingLabel="Loading statistics…"
        isEmpty={(s) => s.items.length === 0}
        empty={<Empty title="No knowledge bases yet">Statistics appear once a knowledge base exists.</Empty>}
      >
        {(s) => {
          const failed = s.items.reduce((n, k) => n + k.documents.FAILED, 0);
          const rows = s.items.filter((k) => kbLabel(k).toLowerCase().includes(q.trim().toLowerCase()));
          return (
            <div className="stack">
              <section aria-label="Totals">
                <CardGrid>
                  <StatCard label="Knowledge bases" value={formatNumber(s.totals.knowledge_bases)} />
                  <StatCard label="Documents" value={formatNumber(s.totals.documents)} />
                  <StatCard label="Chunks" value={formatNumber(s.totals.chunks)} />
                  <StatCard label="Storage" value={formatBytes(s.totals.storage_bytes)} />
                  <StatCard
                    label="Failed documents"
                    value={formatNumber(failed)}
                    tone={failed > 0 ? 'danger' : 'neutral'}
                    to={failed > 0 ? '/operations/queue' : undefined}
                    hint={failed > 0 ? 'Open the queue to retry' : undefined}
                  />
                </CardGrid>
              </section>
              <Toolbar>
                <TextField label="Filter by name" type="search" value={q} onChange={setQ} />
              </Toolbar>
              {rows.length === 0 ? (
                <Empty title="No knowledge base matches this name" />
              ) : (
                <Table label="Knowledge base statistics" columns={columns} rows={rows} rowKey={(k) => k.kb_id} />
              )}
            </div>
          );
        }}
      </QueryView>
    </>
  );
}
