/**
 * The audit trail of every service, newest first, with filters (actor, action or
 * prefix, resource, service, outcome, time range) and each entry's before/after values.
 */
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call, type ResponseOf } from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { formatActor, formatDateTime, formatNumber } from '../../components/format.ts';
import { PageHeader, Toolbar } from '../../components/Layout.tsx';
import { Empty, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';

type Entry = ResponseOf<'/api/v1/admin/audit', 'get'>['items'][number];

const PAGE = 50;
const FILTERS = ['actor', 'action', 'resource_type', 'resource_id', 'service', 'outcome', 'from', 'to'] as const;
type Filter = (typeof FILTERS)[number];

/** datetime-local value (local time) → ISO, or undefined. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function AuditPage() {
  // Filters live in the URL: a filtered view can be bookmarked or shared.
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  const offset = Number(params.get('offset') ?? 0) || 0;
  const [draft, setDraft] = useState<Record<Filter, string>>(applied);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [filtersOpen, setFiltersOpen] = useState(false);

  const auditQuery = {
    limit: PAGE,
    offset,
    ...(applied.actor ? { actor: applied.actor } : {}),
    ...(applied.action ? { action: applied.action } : {}),
    ...(applied.resource_type ? { resource_type: applied.resource_type } : {}),
    ...(applied.resource_id ? { resource_id: applied.resource_id } : {}),
    ...(applied.service ? { service: applied.service } : {}),
    ...(applied.outcome ? { outcome: applied.outcome as 'success' | 'failure' } : {}),
    ...(toIso(applied.from) ? { from: toIso(applied.from) } : {}),
    ...(toIso(applied.to) ? { to: toIso(applied.to) } : {}),
  };
  const audit = useQuery(
    keys.admin.audit.list(auditQuery),
    () => call(api.GET('/api/v1/admin/audit', { params: { query: auditQuery } })),
    { keepPrevious: true },
  );

  const apply = (next: Record<Filter, string>, nextOffset = 0) => {
    const p = new URLSearchParams();
    for (const f of FILTERS) if (next[f]) p.set(f, next[f]);
    if (nextOffset > 0) p.set('offset', String(nextOffset));
    setParams(p);
    setExpanded(new Set());
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const set = (f: Filter) => (v: string) => setDraft((d) => ({ ...d, [f]: v }));
  const anyFilter = FILTERS.some((f) => applied[f]);
  const activeFilters = FILTERS.filter((f) => applied[f]).length;

  const columns: Column<Entry>[] = [
    {
      key: 'when',
      header: 'When',
      render: (e) => <span className="nowrap">{formatDateTime(e.occurred_at)}</span>,
    },
    {
      key: 'action',
      header: 'Action',
      render: (e) => (
        <span>
          <code>{e.action}</code>
          <span className="cell-sub">{e.service}</span>
        </span>
      ),
    },
    {
      key: 'actor',
      header: 'Actor',
      render: (e) => <span className="truncate">{formatActor(e.actor)}</span>,
    },
    {
      key: 'resource',
      header: 'Resource',
      hideOnMobile: true,
      render: (e) => (
        <span>
          {e.resource_type}
          {e.resource_id ? <span className="cell-sub mono">{e.resource_id}</span> : null}
        </span>
      ),
    },
    { key: 'outcome', header: 'Outcome', render: (e) => <StatusBadge status={e.outcome} /> },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who changed what, across every service. Secrets never appear here."
        actions={
          <Button onClick={() => void audit.reload()} loading={audit.fetching && !audit.loading}>
            Refresh
          </Button>
        }
      />
      <form onSubmit={submit} aria-label="Audit filters">
        {/* On a phone eight filters would fill the first screen: they fold behind one button. */}
        <Button
          className="filters-toggle"
          aria-expanded={filtersOpen}
          aria-controls="audit-filter-fields"
          onClick={() => setFiltersOpen((o) => !o)}
        >
          {filtersOpen ? 'Hide filters' : 'Filters'}
          {activeFilters > 0 ? ` (${activeFilters} active)` : ''}
        </Button>
        <div id="audit-filter-fields" className={`filters-body ${filtersOpen ? 'filters-open' : ''}`}>
          <Toolbar>
            <TextField
              label="Actor"
              value={draft.actor}
              onChange={set('actor')}
              placeholder="id (administrators: or e-mail)"
            />
            <TextField
              label="Action"
              value={draft.action}
              onChange={set('action')}
              placeholder="e.g. model.* or auth.login"
            />
            <TextField
              label="Resource type"
              value={draft.resource_type}
              onChange={set('resource_type')}
              placeholder="e.g. llm_model"
            />
            <TextField label="Resource id" value={draft.resource_id} onChange={set('resource_id')} />
            <SelectField
              label="Service"
              value={draft.service}
              onChange={set('service')}
              options={[
                { value: '', label: 'Any service' },
                ...['auth', 'registry', 'knowledge-base', 'proxy-sync', 'ingestion-worker'].map((s) => ({
                  value: s,
                  label: s,
                })),
              ]}
            />
            <SelectField
              label="Outcome"
              value={draft.outcome}
              onChange={set('outcome')}
              options={[
                { value: '', label: 'Any outcome' },
                { value: 'success', label: 'Success' },
                { value: 'failure', label: 'Failure' },
              ]}
            />
            <TextField label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
            <TextField label="To" type="datetime-local" value={draft.to} onChange={set('to')} />
            <div className="row">
              <Button type="submit" variant="primary">
                Apply filters
              </Button>
              {anyFilter ? (
                <Button
                  onClick={() => {
                    const empty = Object.fromEntries(FILTERS.map((f) => [f, ''])) as Record<Filter, string>;
                    setDraft(empty);
                    apply(empty);
                  }}
                >
                  Clear
                </Button>
              ) : null}
            </div>
          </Toolbar>
        </div>
      </form>

      <QueryView
        query={audit}
        loadingLabel="Loading the audit log…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Empty title={anyFilter ? 'No entry matches these filters' : 'No audit entries yet'}>
            {anyFilter ? 'Widen the time range or clear a filter.' : 'Changes made by users and services appear here.'}
          </Empty>
        }
      >
        {(d) => (
          <>
            <Table
              label="Audit entries"
              columns={columns}
              rows={d.items}
              rowKey={(e) => e.id}
              expansion={{
                expanded,
                onToggle: (key) =>
                  setExpanded((s) => {
                    const next = new Set(s);
                    if (next.has(key)) next.delete(key);
                    else next.add(key);
                    return next;
                  }),
                rowLabel: (e) => `${e.action} at ${formatDateTime(e.occurred_at)}`,
                render: (e) => <EntryDetail entry={e} />,
              }}
            />
            <div className="pager">
              <span>
                {formatNumber(d.total === 0 ? 0 : d.offset + 1)}–{formatNumber(d.offset + d.items.length)} of{' '}
                {formatNumber(d.total)}
              </span>
              <Button size="sm" disabled={d.offset === 0} onClick={() => apply(applied, Math.max(0, d.offset - PAGE))}>
                Newer
              </Button>
              <Button
                size="sm"
                disabled={d.offset + d.items.length >= d.total}
                onClick={() => apply(applied, d.offset + PAGE)}
              >
                Older
              </Button>
            </div>
          </>
        )}
      </QueryView>
    </>
  );
}

function EntryDetail({ entry }: { entry: Entry }) {
  const show = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 2));
  return (
    <div className="stack-tight">
      <p className="kv-inline">
        <span>
          Actor: {formatActor(entry.actor)} <span className="muted">({entry.actor.type}</span>{' '}
          <code>{entry.actor.id}</code>
          <span className="muted">)</span>
        </span>
        {entry.request_id ? (
          <span>
            Request <code>{entry.request_id}</code>
          </span>
        ) : null}
        {entry.ip ? <span>IP {entry.ip}</span> : null}
      </p>
      <div className="grid-2">
        <div>
          <h3>Before</h3>
          <pre className="pre">{show(entry.old_value)}</pre>
        </div>
        <div>
          <h3>After</h3>
          <pre className="pre">{show(entry.new_value)}</pre>
        </div>
      </div>
    </div>
  );
}
