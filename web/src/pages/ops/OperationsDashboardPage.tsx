/** Operations hub: live figures of the queue, knowledge bases and audit trail, each linking to its page. */
import { api, call } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { formatBytes, formatNumber, formatRelative } from '../../components/format.ts';
import { Card, CardGrid, PageHeader, StatCard } from '../../components/Layout.tsx';
import { ErrorBanner } from '../../components/States.tsx';

const dayAgo = () => new Date(Date.now() - 24 * 3600 * 1000).toISOString();

export function OperationsDashboardPage() {
  const queue = useQuery(keys.admin.queue.status, () => call(api.GET('/api/v1/admin/queue/status')), {
    pollMs: 10_000,
  });
  const stats = useQuery(keys.admin.kbStats, () => call(api.GET('/api/v1/admin/kb-stats')), { pollMs: 30_000 });
  // "The last 24 hours" is computed at each request, so it is not part of the key.
  const audit = useQuery(
    keys.admin.audit.list({ since: '24h' }),
    () => call(api.GET('/api/v1/admin/audit', { params: { query: { limit: 1, offset: 0, from: dayAgo() } } })),
    { pollMs: 30_000 },
  );
  const failedLogins = useQuery(
    keys.admin.audit.list({ since: '24h', action: 'auth.login_failed' }),
    () =>
      call(
        api.GET('/api/v1/admin/audit', {
          params: { query: { limit: 1, offset: 0, from: dayAgo(), action: 'auth.login_failed' } },
        }),
      ),
    { pollMs: 30_000 },
  );

  const q = queue.data;
  const s = stats.data;
  const n = (v: number | undefined) => (v === undefined ? '…' : formatNumber(v));
  const errors = [queue.error, stats.error, audit.error, failedLogins.error].filter((e) => e !== undefined);

  return (
    <>
      <PageHeader
        title="Operations"
        description="Processing, knowledge bases and activity at a glance. Figures refresh on their own."
      />
      {errors.map((e) => (
        <ErrorBanner key={e.code + e.message} error={e} title="Some figures are unavailable" />
      ))}
      <div className="stack">
        <Card title="Processing queue">
          <CardGrid>
            <StatCard label="Queue depth" value={n(q?.queue_depth)} to="/operations/queue" hint="waiting + in flight" />
            <StatCard label="Processing" value={n(q?.documents.PROCESSING)} tone="info" to="/operations/queue" />
            <StatCard
              label="Failed documents"
              value={n(q?.documents.FAILED)}
              tone={q && q.documents.FAILED > 0 ? 'danger' : 'neutral'}
              to="/operations/queue"
              hint={q && q.documents.FAILED > 0 ? 'Retry from the queue' : undefined}
            />
            <StatCard
              label="Workers connected"
              value={n(q?.workers_connected)}
              tone={q ? (q.workers_connected > 0 ? 'success' : 'warning') : 'neutral'}
              to="/operations/queue"
              hint={q ? `checked ${formatRelative(q.checked_at)}` : undefined}
            />
          </CardGrid>
        </Card>
        <Card title="Knowledge bases">
          <CardGrid>
            <StatCard label="Knowledge bases" value={n(s?.totals.knowledge_bases)} to="/operations/kb-stats" />
            <StatCard label="Documents" value={n(s?.totals.documents)} to="/operations/kb-stats" />
            <StatCard label="Chunks" value={n(s?.totals.chunks)} to="/operations/kb-stats" />
            <StatCard label="Storage" value={s ? formatBytes(s.totals.storage_bytes) : '…'} to="/operations/kb-stats" />
          </CardGrid>
        </Card>
        <Card title="Activity (last 24 hours)">
          <CardGrid>
            <StatCard label="Audit entries" value={n(audit.data?.total)} to="/operations/audit" />
            <StatCard
              label="Failed sign-ins"
              value={n(failedLogins.data?.total)}
              tone={(failedLogins.data?.total ?? 0) > 0 ? 'warning' : 'neutral'}
              to="/operations/audit?action=auth.login_failed"
            />
          </CardGrid>
        </Card>
      </div>
    </>
  );
}
