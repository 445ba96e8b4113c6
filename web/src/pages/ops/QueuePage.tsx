/**
 * 7-27 Processing queue: live status cards, the task table with each document's step
 * breakdown, status and KB filters, and retry of failed documents one by one or in bulk
 * with the outcome per document.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, type BodyOf, call, type ResponseOf } from '../../api/client.ts';
import { type Query, useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField } from '../../components/Field.tsx';
import { formatDateTime, formatMs, formatNumber, formatRelative, kbLabel, taskLabel } from '../../components/format.ts';
import { CardGrid, PageHeader, StatCard, Tabs, Toolbar } from '../../components/Layout.tsx';
import { ConfirmModal } from '../../components/Modal.tsx';
import { Empty, ErrorBanner, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type ProcessingSteps, StepBreakdown, StepSummary } from '../../components/StepBreakdown.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';

type Task = ResponseOf<'/api/v1/admin/queue/tasks', 'get'>['items'][number];
type QueueStatus = ResponseOf<'/api/v1/admin/queue/status', 'get'>;
type RetryResult = ResponseOf<'/api/v1/admin/queue/retry-failed', 'post'>;
type StatusFilter = '' | Task['status'];

const STATUS_OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: '', label: 'Active (pending and processing)' },
  { value: 'PENDING', label: 'Pending' },
  { value: 'PROCESSING', label: 'Processing' },
  { value: 'FAILED', label: 'Failed' },
  { value: 'READY', label: 'Ready' },
];

export function QueuePage() {
  const toast = useToast();
  const [tab, setTab] = useState<'tasks' | 'workers'>('tasks');
  const [status, setStatus] = useState<StatusFilter>('');
  const [kbId, setKbId] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [confirmAll, setConfirmAll] = useState(false);
  const [outcome, setOutcome] = useState<{ result: RetryResult; names: Map<string, string> } | undefined>();

  const queue = useQuery(keys.admin.queue.status, () => call(api.GET('/api/v1/admin/queue/status')), { pollMs: 5_000 });
  const taskQuery = { limit: 200, offset: 0, ...(status ? { status } : {}), ...(kbId ? { kb_id: kbId } : {}) };
  const tasks = useQuery(
    keys.admin.queue.tasks(taskQuery),
    () => call(api.GET('/api/v1/admin/queue/tasks', { params: { query: taskQuery } })),
    { pollMs: 5_000, keepPrevious: true },
  );
  const kbs = useQuery(keys.admin.kbStats, () => call(api.GET('/api/v1/admin/kb-stats')));

  // The cards and the list are two requests: when the cards' counts move, the list is
  // fetched again at once, so the two never tell different stories for a polling period.
  const counts = queue.data ? JSON.stringify(queue.data.documents) : '';
  const lastCounts = useRef('');
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload only when the counts change
  useEffect(() => {
    if (!counts) return;
    if (lastCounts.current && lastCounts.current !== counts) void tasks.reload();
    lastCounts.current = counts;
  }, [counts]);
  const failedTotal = queue.data?.documents.FAILED ?? 0;
  const kbName = kbs.data?.items.find((k) => k.kb_id === kbId);

  const rows = tasks.data?.items ?? [];
  const failedIds = useMemo(() => new Set(rows.filter((t) => t.status === 'FAILED').map((t) => t.document_id)), [rows]);
  // Only failed documents that are still listed count as selected.
  const selection = [...selected].filter((id) => failedIds.has(id));

  const retryFailed = useMutation(
    // `names` are the rows' labels when the retry was sent, for the outcome.
    (body: BodyOf<'/api/v1/admin/queue/retry-failed', 'post'>, _names: Map<string, string>) =>
      call(api.POST('/api/v1/admin/queue/retry-failed', { body })),
    {
      invalidates: changed.queue(),
      onSuccess: (result, _body, names) => {
        setOutcome({ result, names });
        setSelected(new Set());
        setConfirmAll(false);
      },
      onError: (e) => {
        toast.error(e, 'Retry refused');
        setConfirmAll(false);
      },
    },
  );
  const retrying = retryFailed.pending;
  const retry = (body: BodyOf<'/api/v1/admin/queue/retry-failed', 'post'>) => {
    setOutcome(undefined);
    void retryFailed.run(body, namesOf(rows));
  };

  const columns: Column<Task>[] = [
    {
      key: 'document',
      header: 'Document',
      render: (t) => (
        <span>
          <strong className="truncate" style={{ maxWidth: '28ch' }} title={taskLabel(t)}>
            {taskLabel(t)}
          </strong>
          <span className="cell-sub">{kbLabel({ kb_id: t.kb_id, name: t.kb_name })}</span>
        </span>
      ),
    },
    { key: 'status', header: 'Status', render: (t) => <StatusBadge status={t.status} /> },
    {
      key: 'step',
      header: 'Step',
      render: (t) => (
        <StepSummary
          steps={t.processing_steps as ProcessingSteps | null}
          errors={t.step_errors}
          currentStep={t.current_step}
        />
      ),
    },
    { key: 'attempt', header: 'Attempt', align: 'right', hideOnMobile: true, render: (t) => t.attempt },
    {
      key: 'updated',
      header: 'Updated',
      hideOnMobile: true,
      render: (t) => <span title={formatDateTime(t.updated_at)}>{formatRelative(t.updated_at)}</span>,
    },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (t) =>
        t.status === 'FAILED' ? (
          <Button
            size="sm"
            onClick={() => void retry({ document_ids: [t.document_id] })}
            disabled={retrying}
            aria-label={`Retry ${taskLabel(t)}`}
          >
            Retry
          </Button>
        ) : null,
    },
  ];

  const kbOptions = [
    { value: '', label: 'All knowledge bases' },
    ...(kbs.data?.items ?? []).map((k) => ({ value: k.kb_id, label: kbLabel(k) })),
  ];

  return (
    <>
      <PageHeader
        title="Processing queue"
        description="Documents waiting for or in processing, and failures to retry. Figures refresh every few seconds."
        actions={
          <Button
            variant="secondary"
            onClick={() => setConfirmAll(true)}
            disabled={retrying || (queue.data?.documents.FAILED ?? 0) === 0}
          >
            Retry all failed
          </Button>
        }
      />
      <QueueCards query={queue} />

      <Tabs
        label="Queue views"
        active={tab}
        onChange={(id) => setTab(id as 'tasks' | 'workers')}
        tabs={[
          { id: 'tasks', label: 'Tasks', count: tasks.data?.total },
          { id: 'workers', label: 'Workers', count: queue.data?.workers_connected },
        ]}
      />

      {tab === 'tasks' ? (
        <div role="tabpanel" aria-label="Tasks">
          {outcome ? <RetryOutcome outcome={outcome} onDismiss={() => setOutcome(undefined)} /> : null}
          <Toolbar>
            <SelectField
              label="Status"
              value={status}
              onChange={(v) => {
                setStatus(v as StatusFilter);
                setExpanded(new Set());
              }}
              options={STATUS_OPTIONS}
            />
            <SelectField label="Knowledge base" value={kbId} onChange={setKbId} options={kbOptions} />
            <span className="spacer" />
            <Button
              variant="primary"
              disabled={selection.length === 0 || retrying}
              loading={retrying}
              onClick={() => void retry({ document_ids: selection })}
            >
              Retry selected{selection.length > 0 ? ` (${selection.length})` : ''}
            </Button>
          </Toolbar>
          <QueryView
            query={tasks}
            loadingLabel="Loading tasks…"
            isEmpty={(d) => d.items.length === 0}
            empty={
              status === 'FAILED' && failedTotal > 0 ? (
                // The card counts every KB: an empty, filtered list says where the failures are.
                <Empty
                  title={
                    kbId ? `No failed documents in ${kbName ? kbLabel(kbName) : 'this knowledge base'}` : 'Updating…'
                  }
                  action={
                    kbId ? (
                      <Button size="sm" onClick={() => setKbId('')}>
                        Show failed documents of all knowledge bases
                      </Button>
                    ) : undefined
                  }
                >
                  {kbId
                    ? `${formatNumber(failedTotal)} failed in other knowledge bases.`
                    : `The status shows ${formatNumber(failedTotal)} failed; the list is being fetched again.`}
                </Empty>
              ) : (
                <Empty title={status === 'FAILED' ? 'No failed documents' : 'Nothing here'}>
                  {status === ''
                    ? 'No document is waiting or being processed right now. Choose another status to see finished ones.'
                    : 'No document has this status with these filters.'}
                </Empty>
              )
            }
          >
            {(d) => (
              <>
                <Table
                  label="Processing tasks"
                  columns={columns}
                  rows={d.items}
                  rowKey={(t) => t.document_id}
                  selection={{
                    selected: new Set(selection),
                    onChange: setSelected,
                    canSelect: (t) => t.status === 'FAILED',
                    rowLabel: (t) => taskLabel(t),
                  }}
                  expansion={{
                    expanded,
                    onToggle: (key) =>
                      setExpanded((e) => {
                        const next = new Set(e);
                        if (next.has(key)) next.delete(key);
                        else next.add(key);
                        return next;
                      }),
                    rowLabel: (t) => taskLabel(t),
                    render: (t) => <TaskDetail task={t} />,
                  }}
                />
                {d.total > d.items.length ? (
                  <p className="pager">
                    Showing {d.items.length} of {formatNumber(d.total)}; narrow the filters to see others.
                  </p>
                ) : null}
              </>
            )}
          </QueryView>
        </div>
      ) : (
        <div role="tabpanel" aria-label="Workers">
          <WorkersView query={queue} />
        </div>
      )}

      <ConfirmModal
        open={confirmAll}
        title="Retry every failed document?"
        confirmLabel="Retry all failed"
        pending={retrying}
        onConfirm={() => void retry({ retry_all_failed: true, ...(kbId ? { kb_id: kbId } : {}) })}
        onClose={() => setConfirmAll(false)}
      >
        <p>
          {kbId
            ? `All failed documents of ${kbOptions.find((o) => o.value === kbId)?.label} are queued again.`
            : `All ${queue.data?.documents.FAILED ?? ''} failed documents are queued again.`}{' '}
          Each runs through every step from the start.
        </p>
      </ConfirmModal>
    </>
  );
}

/** "file (KB)" per document of the rows, as they were when a retry was sent. */
function namesOf(rows: Task[]): Map<string, string> {
  return new Map(rows.map((t) => [t.document_id, `${taskLabel(t)} (${kbLabel({ kb_id: t.kb_id, name: t.kb_name })})`]));
}

function QueueCards({ query }: { query: Query<QueueStatus> }) {
  const q = query.data;
  if (query.error && !q) return <ErrorBanner error={query.error} title="Queue status unavailable" />;
  return (
    <section aria-label="Queue status" className="section-tight">
      <CardGrid>
        <StatCard label="Queue depth" value={q ? formatNumber(q.queue_depth) : '…'} hint="pending + in flight" />
        <StatCard label="Processing" value={q ? formatNumber(q.documents.PROCESSING) : '…'} tone="info" />
        <StatCard label="Pending" value={q ? formatNumber(q.documents.PENDING) : '…'} />
        <StatCard
          label="Failed"
          value={q ? formatNumber(q.documents.FAILED) : '…'}
          tone={q && q.documents.FAILED > 0 ? 'danger' : 'neutral'}
        />
        <StatCard label="Ready" value={q ? formatNumber(q.documents.READY) : '…'} tone="success" />
        <StatCard
          label="Workers"
          value={q ? formatNumber(q.workers_connected) : '…'}
          tone={q && q.workers_connected === 0 ? 'warning' : 'success'}
          hint={q && q.redelivered > 0 ? `${q.redelivered} redelivered` : 'connected'}
        />
      </CardGrid>
      {query.error && q ? <ErrorBanner error={query.error} title="Refresh failed; figures may be stale" /> : null}
    </section>
  );
}

function TaskDetail({ task }: { task: Task }) {
  return (
    <div className="stack-tight">
      <StepBreakdown
        steps={task.processing_steps as ProcessingSteps | null}
        errors={task.step_errors}
        label={`Processing steps of ${taskLabel(task)}`}
      />
      <p className="kv-inline">
        <span>Attempt {task.attempt}</span>
        <span>created {formatDateTime(task.created_at)}</span>
        {task.started_at ? <span>started {formatDateTime(task.started_at)}</span> : null}
        {task.estimated_duration ? <span>estimated {formatMs(task.estimated_duration)}</span> : null}
        <span className="mono">{task.document_id}</span>
      </p>
      {task.error_message && !Object.values(task.step_errors ?? {}).includes(task.error_message) ? (
        <p className="field-error">{task.error_message}</p>
      ) : null}
    </div>
  );
}

function RetryOutcome({
  outcome,
  onDismiss,
}: {
  outcome: { result: RetryResult; names: Map<string, string> };
  onDismiss: () => void;
}) {
  const { result, names } = outcome;
  const tone = result.failed > 0 ? 'warning' : 'success';
  return (
    <div className={`banner banner-${tone}`} role="status" data-testid="retry-outcome">
      <div className="banner-body">
        <strong>
          {result.queued} queued again{result.failed > 0 ? `, ${result.failed} not retried` : ''}
        </strong>
        {result.errors.length > 0 ? (
          <ul>
            {result.errors.map((e) => (
              <li key={e.document_id}>
                {names.get(e.document_id) ?? e.document_id}: {e.error} <code>{e.code}</code>
              </li>
            ))}
          </ul>
        ) : (
          <span>Watch them move through the steps below.</span>
        )}
      </div>
      <button type="button" className="banner-close" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

function WorkersView({ query }: { query: Query<QueueStatus> }) {
  return (
    <QueryView
      query={query}
      isEmpty={(q) => q.workers.length === 0 && q.consumers.length === 0}
      empty={
        <Empty title="No worker is connected">Documents wait in the queue until an ingestion worker starts.</Empty>
      }
    >
      {(q) => (
        <div className="stack">
          <Table
            label="Workers"
            rowKey={(w) => w.worker_id}
            rows={q.workers}
            columns={[
              { key: 'id', header: 'Worker', render: (w) => <span className="mono">{w.worker_id}</span> },
              { key: 'in', header: 'In flight', align: 'right', render: (w) => `${w.in_flight} / ${w.concurrency}` },
              { key: 'done', header: 'Processed', align: 'right', render: (w) => formatNumber(w.processed) },
              { key: 'failed', header: 'Failed', align: 'right', render: (w) => formatNumber(w.failed) },
              { key: 'since', header: 'Up since', hideOnMobile: true, render: (w) => formatRelative(w.started_at) },
            ]}
          />
          <Table
            label="Queue consumers"
            rowKey={(c) => c.name}
            rows={q.consumers}
            columns={[
              { key: 'event', header: 'Event', render: (c) => <code>{c.event}</code> },
              { key: 'pending', header: 'Pending', align: 'right', render: (c) => c.pending },
              { key: 'flight', header: 'In flight', align: 'right', render: (c) => c.in_flight },
              { key: 'redelivered', header: 'Redelivered', align: 'right', render: (c) => c.redelivered },
              {
                key: 'exists',
                header: 'State',
                render: (c) => (
                  <StatusBadge status={c.exists ? 'active' : 'pending'}>
                    {c.exists ? 'ready' : 'not started'}
                  </StatusBadge>
                ),
              },
            ]}
          />
          <p className="muted">Checked {formatRelative(q.checked_at)}.</p>
        </div>
      )}
    </QueryView>
  );
}
