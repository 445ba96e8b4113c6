/** Admin hub: live figures of users, groups, models, health, proxy sync and grants, each linking to its page. */
import { api, call } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { formatNumber, formatRelative } from '../../components/format.ts';
import { Card, CardGrid, PageHeader, StatCard } from '../../components/Layout.tsx';
import { ErrorBanner } from '../../components/States.tsx';

export function AdminDashboardPage() {
  const users = useQuery(keys.admin.users.list({ limit: 1, offset: 0 }), () =>
    call(api.GET('/api/v1/admin/users', { params: { query: { limit: 1, offset: 0 } } })),
  );
  const inactive = useQuery(keys.admin.users.list({ limit: 1, offset: 0, is_active: false }), () =>
    call(api.GET('/api/v1/admin/users', { params: { query: { limit: 1, offset: 0, is_active: false } } })),
  );
  const groups = useQuery(keys.admin.groups.list, () => call(api.GET('/api/v1/admin/groups')));
  const models = useQuery(
    keys.admin.models.list({ limit: 200, offset: 0 }),
    () => call(api.GET('/api/v1/admin/models', { params: { query: { limit: 200, offset: 0 } } })),
    { pollMs: 30_000 },
  );
  const health = useQuery(
    keys.admin.llm.health(false),
    () => call(api.GET('/api/v1/admin/llm/health', { params: { query: { probe: false } } })),
    { pollMs: 30_000 },
  );
  const grants = useQuery(keys.admin.grants.list({ limit: 1, offset: 0 }), () =>
    call(api.GET('/api/v1/admin/kb-permissions', { params: { query: { limit: 1, offset: 0 } } })),
  );
  const llm = useQuery(keys.admin.llm.config, () => call(api.GET('/api/v1/admin/llm/config')));

  const n = (v: number | undefined) => (v === undefined ? '…' : formatNumber(v));
  const items = models.data?.items;
  const active = items?.filter((m) => m.status === 'active').length;
  const syncFailed = items?.filter((m) => m.sync_status === 'failed').length;
  const errors = [users.error, groups.error, models.error, health.error, grants.error, llm.error].filter(
    (e) => e !== undefined,
  );

  return (
    <>
      <PageHeader title="Administration" description="People, access, models and settings of this LumiKB." />
      {errors.map((e) => (
        <ErrorBanner key={e.code + e.message} error={e} title="Some figures are unavailable" />
      ))}
      <div className="stack">
        <Card title="People and access">
          <CardGrid>
            <StatCard
              label="Users"
              value={n(users.data?.total)}
              to="/admin/users"
              hint={inactive.data ? `${inactive.data.total} deactivated` : undefined}
            />
            <StatCard
              label="Groups"
              value={n(groups.data?.items.length)}
              to="/admin/groups"
              hint={groups.data ? `${groups.data.items.filter((g) => g.is_system).length} system groups` : undefined}
            />
            <StatCard label="KB grants" value={n(grants.data?.total)} to="/admin/kb-permissions" />
          </CardGrid>
        </Card>
        <Card title="Models">
          <CardGrid>
            <StatCard
              label="Active models"
              value={n(active)}
              to="/admin/models"
              hint={items ? `${items.length} registered` : undefined}
            />
            <StatCard
              label="Unhealthy"
              value={n(health.data?.unhealthy)}
              tone={(health.data?.unhealthy ?? 0) > 0 ? 'danger' : 'success'}
              to="/admin/config"
              hint={health.data ? `${health.data.unknown} untested` : undefined}
            />
            <StatCard
              label="Proxy sync failures"
              value={n(syncFailed)}
              tone={(syncFailed ?? 0) > 0 ? 'danger' : 'neutral'}
              to="/admin/models"
            />
            <StatCard
              label="Default embedding"
              value={
                <span className="stat-text">
                  {llm.data?.default_embedding_model?.name ?? (llm.data ? 'none' : '…')}
                </span>
              }
              to="/admin/config"
              hint={
                llm.data?.default_embedding_model?.dimensions
                  ? `${llm.data.default_embedding_model.dimensions} dimensions`
                  : undefined
              }
            />
            <StatCard
              label="Default generation"
              value={
                <span className="stat-text">
                  {llm.data?.default_generation_model?.name ?? (llm.data ? 'none' : '…')}
                </span>
              }
              to="/admin/config"
              hint={llm.data ? `settings v${llm.data.version}, ${formatRelative(llm.data.updated_at)}` : undefined}
            />
          </CardGrid>
        </Card>
      </div>
    </>
  );
}
