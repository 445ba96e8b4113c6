/**
 * 7-9 Model registry: every model with type, provider, status, default, health and
 * proxy sync state; add/edit with provider-specific forms; connection tests; defaults;
 * delete with the knowledge bases that depend on a model.
 */
import { useState } from 'react';
import { api, call } from '../../api/client.ts';
import { useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { formatDateTime, formatMs, formatRelative } from '../../components/format.ts';
import { PageHeader, Toolbar, Tooltip } from '../../components/Layout.tsx';
import { ConfirmModal, Modal } from '../../components/Modal.tsx';
import { Banner, Empty, ErrorBanner, Loading, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { useToast } from '../../components/Toast.tsx';
import { ConnectionResult, type TestResult } from './models/ConnectionResult.tsx';
import type { AdminModel, ModelDetail, ModelType } from './models/fields.ts';
import { typeLabel } from './models/fields.ts';
import { ModelForm, UsedByList } from './models/ModelForm.tsx';

interface Warning {
  code: string;
  message: string;
  knowledge_bases?: { id: string; name: string; dimensions: number }[];
}

export function ModelsPage() {
  const toast = useToast();
  const [type, setType] = useState<'' | ModelType>('');
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const query = {
    limit: 200,
    offset: 0,
    ...(type ? { type } : {}),
    ...(status ? { status: status as AdminModel['status'] } : {}),
    ...(q.trim() ? { q: q.trim() } : {}),
  };
  const models = useQuery(
    keys.admin.models.list(query),
    () => call(api.GET('/api/v1/admin/models', { params: { query } })),
    { pollMs: 15_000, keepPrevious: true },
  );
  // What each provider needs changes only with a new release.
  const providers = useQuery(keys.admin.models.providers, () => call(api.GET('/api/v1/admin/models/providers')), {
    staleMs: 5 * 60_000,
  });
  const sync = useQuery(keys.admin.models.sync, () => call(api.GET('/api/v1/admin/models/sync')), { pollMs: 15_000 });

  const [editing, setEditing] = useState<{ model?: ModelDetail } | undefined>();
  const [loadingEdit, setLoadingEdit] = useState<string | undefined>();
  const [deleting, setDeleting] = useState<ModelDetail | undefined>();
  const [testing, setTesting] = useState<string | undefined>();
  const [lastTest, setLastTest] = useState<{ model: string; result: TestResult } | undefined>();
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const proxyConfigured = (sync.data as { configured?: boolean } | undefined)?.configured === true;

  const providerLabel = (id: string) => providers.data?.providers.find((p) => p.id === id)?.label ?? id;

  const detailOf = (id: string) => call(api.GET('/api/v1/admin/models/{id}', { params: { path: { id } } }));

  const openEdit = async (m: AdminModel) => {
    setLoadingEdit(m.id);
    try {
      setEditing({ model: await detailOf(m.id) });
    } catch (e) {
      toast.error(e, `Cannot open ${m.name}`);
    } finally {
      setLoadingEdit(undefined);
    }
  };

  const openDelete = async (m: AdminModel) => {
    remove.reset();
    try {
      setDeleting(await detailOf(m.id));
    } catch (e) {
      toast.error(e, `Cannot open ${m.name}`);
    }
  };

  // A test records the model's health, shown here, on the config page and in the KB pickers.
  const test = useMutation(
    (m: AdminModel) => call(api.POST('/api/v1/admin/models/{id}/test', { params: { path: { id: m.id } } })),
    {
      invalidates: changed.models(),
      onSuccess: (result, m) => setLastTest({ model: m.name, result }),
      onError: (e, m) => toast.error(e, `Test of ${m.name} failed to run`),
    },
  );
  const testSaved = async (m: AdminModel) => {
    setTesting(m.id);
    await test.run(m);
    setTesting(undefined);
  };

  const makeDefault = useMutation(
    (m: AdminModel) => call(api.POST('/api/v1/admin/models/{id}/set-default', { params: { path: { id: m.id } } })),
    {
      invalidates: [...changed.models(), ...changed.llmConfig()],
      onSuccess: (res, m) => {
        setWarnings(res.warnings);
        toast.success(`${m.name} is now the default ${m.type} model`);
      },
    },
  );
  const setDefault = (m: AdminModel) => makeDefault.run(m);
  const pageError = makeDefault.error;

  const remove = useMutation(
    (m: ModelDetail) => call(api.DELETE('/api/v1/admin/models/{id}', { params: { path: { id: m.id } } })),
    {
      invalidates: changed.models(),
      onSuccess: (_, m) => {
        toast.success(`${m.name} deleted`);
        setDeleting(undefined);
      },
    },
  );
  const deleteError = remove.error;

  const syncNow = useMutation(() => call(api.POST('/api/v1/admin/models/sync')), {
    invalidates: [keys.admin.models.all],
    onSuccess: (res) => {
      const failed = (res as { failed?: unknown[] }).failed?.length ?? 0;
      if (failed > 0) toast.error(new Error(`${failed} model(s) could not be synced; see the Proxy column`));
      else toast.success('The LiteLLM proxy is in sync with the registry');
    },
    onError: (e) => toast.error(e, 'Sync failed'),
  });
  const syncing = syncNow.pending;
  const forceSync = () => syncNow.run();

  const columns: Column<AdminModel>[] = [
    {
      key: 'name',
      header: 'Model',
      render: (m) => (
        <span>
          <strong>{m.name}</strong>
          <span className="cell-sub mono">{m.model_id}</span>
        </span>
      ),
    },
    { key: 'type', header: 'Type', render: (m) => typeLabel(m.type) },
    { key: 'provider', header: 'Provider', render: (m) => providerLabel(m.provider), hideOnMobile: true },
    { key: 'status', header: 'Status', render: (m) => <StatusBadge status={m.status} /> },
    {
      key: 'default',
      header: 'Default',
      render: (m) =>
        m.is_default ? (
          <StatusBadge status="default" tone="info">
            Default
          </StatusBadge>
        ) : m.status === 'active' ? (
          <Button size="sm" variant="ghost" onClick={() => void setDefault(m)} aria-label={`Set default: ${m.name}`}>
            Set default
          </Button>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      key: 'health',
      header: 'Health',
      render: (m) => <HealthBadge test={m.last_test} />,
    },
    {
      key: 'sync',
      header: 'Proxy',
      hideOnMobile: true,
      render: (m) => {
        // The provider's routing decides, not the sync row: direct providers (Ollama, LM
        // Studio) never reach the proxy, whatever state their sync row was left in.
        const routing = providers.data?.providers.find((p) => p.id === m.provider)?.routing;
        if (m.sync_status === 'not_applicable' || routing === 'direct' || routing === 'in_process') {
          return (
            <span
              className="muted"
              title={
                routing === 'in_process'
                  ? 'Built-in model: runs inside LumiKB, not in the LiteLLM proxy'
                  : 'Called directly at its base URL, not through the LiteLLM proxy'
              }
            >
              {routing === 'in_process' ? 'n/a — built in' : 'n/a — direct'}
            </span>
          );
        }
        return m.sync_status === 'failed' && m.sync_error ? (
          <Tooltip content={m.sync_error}>
            <StatusBadge status="sync_failed">sync failed</StatusBadge>
          </Tooltip>
        ) : (
          <StatusBadge
            status={m.sync_status}
            title={m.synced_at ? `synced ${formatDateTime(m.synced_at)}` : undefined}
          />
        );
      },
    },
    { key: 'kbs', header: 'KBs', align: 'right', render: (m) => m.kb_count, hideOnMobile: true },
    {
      key: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      render: (m) => (
        <div className="cell-actions">
          <Button size="sm" loading={testing === m.id} onClick={() => void testSaved(m)} aria-label={`Test ${m.name}`}>
            Test
          </Button>
          <Button
            size="sm"
            loading={loadingEdit === m.id}
            onClick={() => void openEdit(m)}
            aria-label={`Edit ${m.name}`}
          >
            Edit
          </Button>
          <Button size="sm" variant="ghost" onClick={() => void openDelete(m)} aria-label={`Delete ${m.name}`}>
            Delete
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Models"
        description="Embedding, generation and rerank models knowledge bases can use. Test a connection before relying on it; the default of each type is preselected for new knowledge bases."
        actions={
          <>
            {/* Without a proxy there is nothing to sync; the banner below says so. */}
            {proxyConfigured ? (
              <Button onClick={() => void forceSync()} loading={syncing}>
                Sync proxy now
              </Button>
            ) : null}
            <Button variant="primary" onClick={() => setEditing({})} disabled={!providers.data}>
              Add model
            </Button>
          </>
        }
      />
      {pageError ? <ErrorBanner error={pageError} onDismiss={makeDefault.reset} /> : null}
      {warnings.map((w) => (
        <DimensionWarning key={w.code + w.message} warning={w} onDismiss={() => setWarnings([])} />
      ))}
      {lastTest ? (
        <div className="section-tight">
          <ConnectionResult
            result={lastTest.result}
            title={`${lastTest.model}: ${lastTest.result.success ? 'connection works' : 'connection failed'}`}
          />
        </div>
      ) : null}
      <SyncSummary sync={sync.data} />

      <Toolbar>
        <SelectField
          label="Type"
          value={type}
          onChange={(v) => setType(v as '' | ModelType)}
          options={[
            { value: '', label: 'All types' },
            { value: 'embedding', label: 'Embedding' },
            { value: 'generation', label: 'Generation' },
            { value: 'rerank', label: 'Rerank' },
          ]}
        />
        <SelectField
          label="Status"
          value={status}
          onChange={setStatus}
          options={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'Active' },
            { value: 'inactive', label: 'Inactive' },
            { value: 'deprecated', label: 'Deprecated' },
          ]}
        />
        <TextField label="Search" type="search" value={q} onChange={setQ} placeholder="Name or model id" />
      </Toolbar>

      <QueryView
        query={models}
        loadingLabel="Loading models…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <Empty
            title={type || status || q ? 'No model matches these filters' : 'No models yet'}
            action={
              <Button variant="primary" onClick={() => setEditing({})} disabled={!providers.data}>
                Add model
              </Button>
            }
          >
            Register an embedding model for search and a generation model for chat.
          </Empty>
        }
      >
        {(d) => <Table label="Models" columns={columns} rows={d.items} rowKey={(m) => m.id} />}
      </QueryView>

      {editing && providers.data ? (
        <ModelForm
          providers={providers.data.providers}
          model={editing.model}
          onClose={() => setEditing(undefined)}
          onSaved={(saved, created) => {
            setEditing(undefined);
            toast.success(created ? `${saved.name} added — test its connection from the table` : `${saved.name} saved`);
          }}
        />
      ) : null}
      {editing && !providers.data ? (
        <Modal open title="Add a model" onClose={() => setEditing(undefined)}>
          {providers.error ? <ErrorBanner error={providers.error} /> : <Loading />}
        </Modal>
      ) : null}

      {deleting ? (
        <ConfirmModal
          open
          danger
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete model"
          pending={remove.pending}
          onConfirm={() => void remove.run(deleting)}
          onClose={() => setDeleting(undefined)}
        >
          {deleteError ? <ErrorBanner error={deleteError} title="The server refused" /> : null}
          {deleteError?.code === 'MODEL_IN_USE' ? <UsedByList details={deleteError.details} /> : null}
          {deleting.used_by.length > 0 && !deleteError ? (
            <UsedByList details={{ knowledge_bases: deleting.used_by }} />
          ) : null}
          {deleting.used_by.length > 0 ? (
            <p>
              A model that knowledge bases use cannot be deleted. Move them to another model first, or set this one to
              deprecated.
            </p>
          ) : null}
          {deleting.is_default ? (
            <p>This is the default {deleting.type} model; make another model the default first.</p>
          ) : null}
          {deleting.used_by.length === 0 && !deleting.is_default ? (
            <p>The model is removed from the registry and from the LiteLLM proxy. This cannot be undone.</p>
          ) : null}
        </ConfirmModal>
      ) : null}
    </>
  );
}

function HealthBadge({ test }: { test: AdminModel['last_test'] }) {
  if (!test) return <StatusBadge status="untested" />;
  const label = test.success ? 'healthy' : 'unhealthy';
  return (
    <Tooltip content={`${test.message} · ${formatMs(test.latency_ms)} · ${formatRelative(test.tested_at)}`}>
      <StatusBadge status={label} />
    </Tooltip>
  );
}

function SyncSummary({ sync }: { sync: Record<string, unknown> | undefined }) {
  if (!sync) return null;
  const s = sync as {
    configured?: boolean;
    pending?: number;
    failed?: number;
    last_reconcile?: { finished_at?: string | null; trigger?: string } | null;
    last_reconcile_error?: string | null;
  };
  if (!s.configured) {
    return (
      <Banner tone="info">
        No LiteLLM proxy is configured, so there is nothing to sync: local, Ollama and LM Studio models work; cloud
        providers need the proxy (LITELLM_PROXY_URL).
      </Banner>
    );
  }
  return (
    <p className="kv-inline section-tight" data-testid="sync-summary">
      <span>
        LiteLLM proxy: <StatusBadge status={s.failed ? 'failed' : s.pending ? 'pending' : 'synced'} />
      </span>
      <span>{s.pending ?? 0} pending</span>
      <span>{s.failed ?? 0} failed</span>
      <span>
        last reconcile {formatRelative(s.last_reconcile?.finished_at)}
        {s.last_reconcile?.trigger ? ` (${s.last_reconcile.trigger})` : ''}
      </span>
      {s.last_reconcile_error ? <span className="field-error">{s.last_reconcile_error}</span> : null}
    </p>
  );
}

/** The dimension-mismatch (and other) warnings the server returns with a default change. */
export function DimensionWarning({ warning, onDismiss }: { warning: Warning; onDismiss?: () => void }) {
  return (
    <div className="banner banner-warning" role="alert" data-testid="config-warning" data-code={warning.code}>
      <div className="banner-body">
        <strong>{warning.code === 'EMBEDDING_DIMENSION_MISMATCH' ? 'Dimension mismatch' : warning.code}</strong>
        <span>{warning.message}</span>
        {warning.knowledge_bases?.length ? (
          <ul>
            {warning.knowledge_bases.map((kb) => (
              <li key={kb.id}>
                {kb.name} <span className="muted">({kb.dimensions} dimensions)</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {onDismiss ? (
        <button type="button" className="banner-close" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      ) : null}
    </div>
  );
}
