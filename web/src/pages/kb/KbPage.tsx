/**
 * One knowledge base: its models at a glance, uploads (drag and drop, several files,
 * progress each), and its documents with live status, the per-step breakdown (7-27),
 * retry of failures and deletion.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { useInvalidate, useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import {
  ACCESS_NAMES,
  accessName,
  formatBytes,
  formatDateTime,
  formatMs,
  formatNumber,
  formatRelative,
} from '../../components/format.ts';
import { PageHeader, Toolbar } from '../../components/Layout.tsx';
import { ConfirmModal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, ErrorState, Loading, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type ProcessingSteps, StepBreakdown, StepSummary } from '../../components/StepBreakdown.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';
import { canKb, type DocumentStatus, type Kb, type KbDocument, useDocumentTitle, viewerPath } from './kbApi.ts';
import { LexicalIndexSummary } from './LexicalIndexSummary.tsx';
import { providerLabel } from './ModelPicker.tsx';
import { UploadZone } from './UploadZone.tsx';

const PAGE = 50;
const STATUS_OPTIONS: { value: '' | DocumentStatus; label: string }[] = [
  { value: '', label: 'All statuses' },
  { value: 'READY', label: 'Ready' },
  { value: 'PROCESSING', label: 'Processing' },
  { value: 'PENDING', label: 'Pending' },
  { value: 'FAILED', label: 'Failed' },
];

export function KbPage() {
  const { kbId = '' } = useParams();
  const kb = useQuery(
    keys.kbs.detail(kbId),
    () => call(api.GET('/api/v1/knowledge-bases/{id}', { params: { path: { id: kbId } } })),
    { pollMs: 10_000 },
  );
  useDocumentTitle(kb.data?.name);

  if (kb.loading && !kb.data) return <Loading label="Loading the knowledge base…" />;
  if (kb.error && !kb.data) {
    return (
      <>
        <PageHeader title="Knowledge base" breadcrumb={[{ label: 'Knowledge bases', to: '/kbs' }]} />
        <ErrorState error={kb.error} onRetry={kb.reload} />
      </>
    );
  }
  if (!kb.data) return <Loading />;
  return <KbView kb={kb.data} />;
}

function KbView({ kb }: { kb: Kb }) {
  return (
    <>
      <PageHeader
        title={kb.name}
        breadcrumb={[{ label: 'Knowledge bases', to: '/kbs' }]}
        description={kb.description || undefined}
        actions={
          <>
            <Link className="btn btn-secondary" to={`/search?kb=${kb.id}`}>
              Search
            </Link>
            <Link className="btn btn-secondary" to={`/chat?kb=${kb.id}`}>
              Chat
            </Link>
            <Link className="btn btn-secondary" to={`/kbs/${kb.id}/settings`}>
              Settings
            </Link>
          </>
        }
      />
      <dl className="kb-summary" aria-label="Knowledge base summary">
        <div>
          <dt>Embedding model</dt>
          <dd>
            {kb.embedding_model?.name ?? 'unknown'}
            <span className="cell-sub">
              {kb.embedding_model ? `${providerLabel(kb.embedding_model.provider)} · ` : ''}
              {kb.dimensions} dimensions · {kb.distance_metric}
              {kb.embedding_model_locked ? ' · locked' : ''}
            </span>
          </dd>
        </div>
        <div>
          <dt>Generation model</dt>
          <dd>
            {kb.generation_model?.name ?? 'unknown'}
            <span className="cell-sub">
              {kb.generation_model ? providerLabel(kb.generation_model.provider) : ''}
              {kb.generation_model && kb.generation_model.status !== 'active' ? ` · ${kb.generation_model.status}` : ''}
            </span>
          </dd>
        </div>
        <div>
          <dt>Documents</dt>
          <dd>
            {formatNumber(kb.documents.total)}
            <span className="cell-sub">
              {kb.documents.READY} ready · {kb.documents.PENDING + kb.documents.PROCESSING} processing ·{' '}
              {kb.documents.FAILED} failed
            </span>
          </dd>
        </div>
        <LexicalIndexSummary index={kb.lexical_index} />
        <div>
          <dt>Your access</dt>
          <dd>
            {accessName(kb.permission)}
            <span className="cell-sub">{ACCESS_NAMES[kb.permission]?.means}</span>
          </dd>
        </div>
      </dl>
      <Documents kb={kb} />
    </>
  );
}

function Documents({ kb }: { kb: Kb }) {
  const toast = useToast();
  const canWrite = canKb(kb.permission, 'WRITE');
  const [status, setStatus] = useState<'' | DocumentStatus>('');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [deleting, setDeleting] = useState<KbDocument | undefined>();
  const invalidate = useInvalidate();

  useEffect(() => {
    const t = window.setTimeout(() => {
      setQuery(q.trim());
      setOffset(0);
    }, 250);
    return () => window.clearTimeout(t);
  }, [q]);

  const listQuery = { limit: PAGE, offset, ...(status ? { status } : {}), ...(query ? { q: query } : {}) };
  const docs = useQuery(
    keys.kbs.documentList(kb.id, listQuery),
    () =>
      call(api.GET('/api/v1/knowledge-bases/{id}/documents', { params: { path: { id: kb.id }, query: listQuery } })),
    {
      keepPrevious: true,
      // Live status: refresh quickly while anything is on its way, slowly otherwise.
      pollMs: (d) =>
        (d?.items ?? []).some((x) => x.status === 'PENDING' || x.status === 'PROCESSING') ? 1_500 : 10_000,
    },
  );
  // The KB's figures (here and on every other page) follow the documents' statuses.
  const signature = (docs.data?.items ?? []).map((d) => `${d.id}:${d.status}`).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh when the statuses change
  useEffect(() => {
    if (signature) void invalidate(changed.documentFigures(kb.id));
  }, [signature]);

  // Uploads and the table must tell one story: files on their way are not "no documents",
  // and an upload line folds away once its document is finished in the table.
  const [uploading, setUploading] = useState(0);
  const [arrived, setArrived] = useState<Set<string>>(new Set());
  const settledKey = (docs.data?.items ?? [])
    .filter((d) => d.status === 'READY' || d.status === 'FAILED')
    .map((d) => d.id)
    .join(',');
  const settled = useMemo(() => new Set(settledKey ? settledKey.split(',') : []), [settledKey]);
  const listed = new Set((docs.data?.items ?? []).map((d) => d.id));
  const onTheirWay = uploading + [...arrived].filter((id) => !listed.has(id)).length;
  // Once listed, an upload is the table's; forgetting it keeps a later delete from reading as "on the way".
  // biome-ignore lint/correctness/useExhaustiveDependencies: prune when the listed documents change
  useEffect(() => {
    setArrived((a) => {
      const next = new Set([...a].filter((id) => !listed.has(id)));
      return next.size === a.size ? a : next;
    });
  }, [docs.data]);

  const retry = useMutation(
    (doc: KbDocument) =>
      call(
        api.POST('/api/v1/knowledge-bases/{id}/documents/{docId}/retry', {
          params: { path: { id: kb.id, docId: doc.id } },
        }),
      ),
    {
      invalidates: changed.documents(kb.id),
      onSuccess: (next, doc) => toast.success(`${doc.filename} is queued again (attempt ${next.attempt})`),
      onError: (error, doc) => toast.error(error, `Could not retry ${doc.filename}`),
    },
  );

  const remove = useMutation(
    (doc: KbDocument) =>
      call(
        api.DELETE('/api/v1/knowledge-bases/{id}/documents/{docId}', {
          params: { path: { id: kb.id, docId: doc.id } },
        }),
      ),
    {
      invalidates: changed.documents(kb.id),
      onSuccess: (_, doc) => {
        toast.success(`Deleted ${doc.filename}`);
        setDeleting(undefined);
      },
    },
  );

  const columns: Column<KbDocument>[] = [
    {
      key: 'name',
      header: 'Document',
      render: (d) => (
        <span className="stack-tight">
          {d.status === 'READY' ? (
            <Link to={viewerPath(kb.id, d.id)} className="doc-name" title={`Open ${d.filename} in the viewer`}>
              {d.filename}
            </Link>
          ) : (
            <strong className="doc-name">{d.filename}</strong>
          )}
          <span className="cell-sub">
            {d.format.toUpperCase()} · {formatBytes(d.size_bytes)}
          </span>
        </span>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      render: (d) => (
        <span className="stack-tight">
          <StatusBadge status={d.status} title={d.error_message ?? undefined} />
          {d.attempt > 1 ? <span className="cell-sub">attempt {d.attempt}</span> : null}
        </span>
      ),
    },
    {
      key: 'step',
      header: 'Step',
      hideOnMobile: true,
      render: (d) => (
        <StepSummary
          steps={d.processing_steps as ProcessingSteps}
          errors={d.step_errors}
          currentStep={d.current_step}
        />
      ),
    },
    {
      key: 'chunks',
      header: 'Chunks',
      align: 'right',
      hideOnMobile: true,
      render: (d) => (d.status === 'READY' ? formatNumber(d.chunk_count) : '—'),
    },
    {
      key: 'uploaded',
      header: 'Uploaded',
      hideOnMobile: true,
      render: (d) => <span title={formatDateTime(d.created_at)}>{formatRelative(d.created_at)}</span>,
    },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (d) =>
        canWrite ? (
          <span className="cell-actions">
            {d.status === 'FAILED' ? (
              <Button
                size="sm"
                onClick={() => void retry.run(d)}
                disabled={retry.pending}
                aria-label={`Retry ${d.filename}`}
              >
                Retry
              </Button>
            ) : null}
            <Button
              size="sm"
              variant="ghost"
              onClick={() => {
                remove.reset();
                setDeleting(d);
              }}
              aria-label={`Delete ${d.filename}`}
            >
              Delete
            </Button>
          </span>
        ) : null,
    },
  ];

  return (
    <section className="section" aria-labelledby="documents-title">
      <h2 id="documents-title">Documents</h2>
      {canWrite ? (
        <UploadZone
          kbId={kb.id}
          settled={settled}
          onActiveChange={setUploading}
          onUploaded={(doc) => {
            setArrived((a) => new Set(a).add(doc.id));
            void invalidate(changed.documents(kb.id));
          }}
        />
      ) : (
        <p className="muted">You can read this knowledge base; uploading needs WRITE access.</p>
      )}
      <Toolbar>
        <SelectField
          label="Status"
          value={status}
          onChange={(v) => {
            setStatus(v as '' | DocumentStatus);
            setOffset(0);
          }}
          options={STATUS_OPTIONS}
        />
        <TextField label="File name" type="search" value={q} onChange={setQ} placeholder="Filter by name" />
      </Toolbar>
      <QueryView
        query={docs}
        loadingLabel="Loading documents…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          onTheirWay > 0 && !status && !query ? (
            <Empty title={`${onTheirWay} document${onTheirWay === 1 ? ' is' : 's are'} on the way`}>
              They appear here as soon as their upload finishes, then show their processing status.
            </Empty>
          ) : status || query ? (
            <Empty title="No document matches these filters" />
          ) : (
            <Empty title="No documents yet">
              {canWrite
                ? 'Drop files above or choose them to add the first documents.'
                : 'Someone with WRITE access has to add documents.'}
            </Empty>
          )
        }
      >
        {(data) => (
          <>
            <Table
              label="Documents"
              columns={columns}
              rows={data.items}
              rowKey={(d) => d.id}
              rowClassName={(d) => (d.status === 'FAILED' ? 'row-failed' : undefined)}
              expansion={{
                expanded,
                rowLabel: (d) => d.filename,
                onToggle: (key) =>
                  setExpanded((s) => {
                    const next = new Set(s);
                    if (next.has(key)) next.delete(key);
                    else next.add(key);
                    return next;
                  }),
                render: (d) => <DocumentDetail doc={d} />,
              }}
            />
            <Pager total={data.total} offset={offset} onChange={setOffset} docs={docs} />
          </>
        )}
      </QueryView>
      <ConfirmModal
        open={deleting !== undefined}
        title={`Delete ${deleting?.filename ?? ''}?`}
        confirmLabel="Delete document"
        danger
        pending={remove.pending}
        onConfirm={() => {
          if (deleting) void remove.run(deleting);
        }}
        onClose={() => setDeleting(undefined)}
      >
        {remove.error ? <ErrorBanner error={remove.error} title="The document was not deleted" /> : null}
        <p>Its text, chunks and vectors are removed, and search and chat stop citing it. This cannot be undone.</p>
      </ConfirmModal>
    </section>
  );
}

function DocumentDetail({ doc }: { doc: KbDocument }) {
  return (
    <div className="stack doc-detail">
      <StepBreakdown
        steps={doc.processing_steps as ProcessingSteps}
        errors={doc.step_errors}
        label={`Processing steps of ${doc.filename}`}
      />
      {doc.error_message && !Object.values(doc.step_errors).includes(doc.error_message) ? (
        <p className="field-error" data-testid="document-error">
          {doc.error_message}
        </p>
      ) : null}
      <p className="kv-inline">
        <span>Attempt {doc.attempt}</span>
        <span>
          {doc.character_count !== null ? `${formatNumber(doc.character_count)} characters` : 'not parsed yet'}
        </span>
        <span>{formatNumber(doc.chunk_count)} chunks</span>
        {doc.duration_ms !== null ? <span>took {formatMs(doc.duration_ms)}</span> : null}
        {doc.processed_at ? <span>processed {formatDateTime(doc.processed_at)}</span> : null}
        <span className="mono">sha256 {doc.sha256.slice(0, 12)}…</span>
      </p>
    </div>
  );
}

function Pager({
  total,
  offset,
  onChange,
  docs,
}: {
  total: number;
  offset: number;
  onChange: (offset: number) => void;
  docs: { fetching: boolean };
}) {
  if (total <= PAGE) return null;
  return (
    <nav className="pager" aria-label="Document pages">
      <span>
        {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
        {docs.fetching ? ' · refreshing' : ''}
      </span>
      <Button size="sm" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - PAGE))}>
        Previous
      </Button>
      <Button size="sm" disabled={offset + PAGE >= total} onClick={() => onChange(offset + PAGE)}>
        Next
      </Button>
    </nav>
  );
}
