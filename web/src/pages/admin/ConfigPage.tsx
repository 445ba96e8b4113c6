/**
 * 7-2 Configuration: default models and generation defaults (applied by every service
 * without a restart), the health of each model, and the system settings.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { api, type BodyOf, call, type ResponseOf } from '../../api/client.ts';
import { useMutation, useQuery } from '../../api/hooks.ts';
import { changed, keys } from '../../api/keys.ts';
import { Button } from '../../components/Button.tsx';
import { CheckboxField, FieldRow, NumberField, SelectField, TextAreaField } from '../../components/Field.tsx';
import { formatDateTime, formatMs, formatRelative } from '../../components/format.ts';
import { Card, PageHeader, Tooltip } from '../../components/Layout.tsx';
import { ErrorBanner, QueryView } from '../../components/States.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { type Column, Table } from '../../components/Table.tsx';
import { DimensionWarning } from './ModelsPage.tsx';

type LlmConfig = ResponseOf<'/api/v1/admin/llm/config', 'get'>;
type GenerationDefaults = LlmConfig['generation_defaults'];
type SystemConfig = ResponseOf<'/api/v1/admin/config', 'get'>;
type Settings = SystemConfig['settings'];
type Health = ResponseOf<'/api/v1/admin/llm/health', 'get'>;
type Warning = { code: string; message: string; knowledge_bases?: { id: string; name: string; dimensions: number }[] };

interface Applied {
  version: number;
  changed: string[];
  at: string;
}

/** What a save changed, said so the admin knows it is live: no restart involved. */
function AppliedFeedback({ applied }: { applied: Applied }) {
  return (
    <div className="banner banner-success" role="status" data-testid="reload-feedback">
      <div className="banner-body">
        <strong>Applied without a restart</strong>
        <span>
          {applied.changed.length > 0
            ? `Changed ${applied.changed.map((f) => f.replace(/^generation_defaults\./, '').replace(/_/g, ' ')).join(', ')}.`
            : 'Nothing changed.'}{' '}
          Running services pick up version {applied.version} within seconds.
        </span>
        <span className="banner-meta">{formatDateTime(applied.at)}</span>
      </div>
    </div>
  );
}

export function ConfigPage() {
  return (
    <>
      <PageHeader
        title="Configuration"
        description="Platform-wide settings. Every change is applied by the running services without a restart and recorded in the audit log."
      />
      <div className="stack">
        <LlmSettingsCard />
        <HealthCard />
        <SystemSettingsCard />
      </div>
    </>
  );
}

function LlmSettingsCard() {
  const config = useQuery(keys.admin.llm.config, () => call(api.GET('/api/v1/admin/llm/config')));
  const models = useQuery(keys.admin.models.list({ status: 'active', limit: 200, offset: 0 }), () =>
    call(api.GET('/api/v1/admin/models', { params: { query: { status: 'active', limit: 200, offset: 0 } } })),
  );
  const [embedding, setEmbedding] = useState('');
  const [generation, setGeneration] = useState('');
  const [defaults, setDefaults] = useState<GenerationDefaults | undefined>();
  const [applied, setApplied] = useState<Applied | undefined>();
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const saveConfig = useMutation(
    (body: BodyOf<'/api/v1/admin/llm/config', 'put'>) => call(api.PUT('/api/v1/admin/llm/config', { body })),
    {
      // Defaults show on the models page, the dashboards and the KB pickers too.
      invalidates: changed.llmConfig(),
      onSuccess: (res) => {
        config.setData(res.config);
        setApplied({ version: res.config.version, changed: res.changed_fields, at: res.config.updated_at });
        setWarnings(res.warnings);
      },
      onError: () => setApplied(undefined),
    },
  );

  useEffect(() => {
    if (!config.data) return;
    setEmbedding(config.data.default_embedding_model_id ?? '');
    setGeneration(config.data.default_generation_model_id ?? '');
    setDefaults(config.data.generation_defaults);
  }, [config.data]);

  const options = (type: 'embedding' | 'generation') =>
    (models.data?.items ?? [])
      .filter((m) => m.type === type)
      .map((m) => ({
        value: m.id,
        label: `${m.name}${type === 'embedding' && typeof m.config.dimensions === 'number' ? ` · ${m.config.dimensions} dims` : ''}`,
      }));

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!config.data || !defaults) return;
    const body: {
      default_embedding_model_id?: string;
      default_generation_model_id?: string;
      generation_defaults?: Partial<GenerationDefaults>;
    } = {};
    if (embedding && embedding !== config.data.default_embedding_model_id) body.default_embedding_model_id = embedding;
    if (generation && generation !== config.data.default_generation_model_id)
      body.default_generation_model_id = generation;
    const changedDefaults: Partial<GenerationDefaults> = {};
    for (const key of Object.keys(defaults) as (keyof GenerationDefaults)[]) {
      if (defaults[key] !== config.data.generation_defaults[key]) {
        (changedDefaults as Record<string, unknown>)[key] = defaults[key];
      }
    }
    if (Object.keys(changedDefaults).length > 0) body.generation_defaults = changedDefaults;
    saveConfig.reset();
    setWarnings([]);
    if (Object.keys(body).length === 0) {
      setApplied({ version: config.data.version, changed: [], at: new Date().toISOString() });
      return;
    }
    void saveConfig.run(body);
  };

  const setDefault = <K extends keyof GenerationDefaults>(key: K, value: GenerationDefaults[K]) =>
    setDefaults((d) => (d ? { ...d, [key]: value } : d));

  return (
    <Card title="Models and generation">
      <QueryView query={config} loadingLabel="Loading LLM settings…">
        {(c) =>
          defaults ? (
            <form className="form" onSubmit={save} aria-label="LLM settings" noValidate>
              {saveConfig.error ? <ErrorBanner error={saveConfig.error} title="Not saved" /> : null}
              {applied ? <AppliedFeedback applied={applied} /> : null}
              {warnings.map((w) => (
                <DimensionWarning key={w.code + w.message} warning={w} />
              ))}
              {models.error ? <ErrorBanner error={models.error} title="Models could not be loaded" /> : null}
              <FieldRow>
                <SelectField
                  label="Default embedding model"
                  value={embedding}
                  onChange={setEmbedding}
                  options={options('embedding')}
                  placeholder={c.default_embedding_model_id ? undefined : 'None'}
                  hint="Preselected for new knowledge bases. Existing ones keep their own model and vectors."
                />
                <SelectField
                  label="Default generation model"
                  value={generation}
                  onChange={setGeneration}
                  options={options('generation')}
                  placeholder={c.default_generation_model_id ? undefined : 'None'}
                  hint="Preselected for new knowledge bases; also the fallback when a KB's model is unavailable."
                />
              </FieldRow>
              <FieldRow>
                <NumberField
                  label="Temperature"
                  value={defaults.temperature}
                  onChange={(v) => setDefault('temperature', v ?? 0)}
                  min={0}
                  max={2}
                  step={0.1}
                  hint="0–2; clamped to each model's range."
                />
                <NumberField
                  label="Top-p"
                  value={defaults.top_p}
                  onChange={(v) => setDefault('top_p', v ?? 1)}
                  min={0}
                  max={1}
                  step={0.05}
                  hint="Above 0, at most 1."
                />
                <NumberField
                  label="Max output tokens"
                  value={defaults.max_output_tokens}
                  onChange={(v) => setDefault('max_output_tokens', v ?? 1)}
                  min={1}
                  step={1}
                />
                <NumberField
                  label="Request timeout (s)"
                  value={defaults.request_timeout_seconds}
                  onChange={(v) => setDefault('request_timeout_seconds', v ?? 1)}
                  min={1}
                  max={600}
                  step={1}
                />
              </FieldRow>
              <CheckboxField
                label="Fall back to the default generation model"
                hint="When a knowledge base's model is unavailable, answer with the default (the answer says so)."
                checked={defaults.fallback_to_default}
                onChange={(v) => setDefault('fallback_to_default', v)}
              />
              <TextAreaField
                label="System prompt"
                value={defaults.system_prompt}
                onChange={(v) => setDefault('system_prompt', v)}
                maxLength={8000}
                rows={4}
              />
              <div className="form-actions">
                <span className="muted spacer">
                  Version {c.version} · updated {formatRelative(c.updated_at)}
                </span>
                <Button
                  onClick={() => {
                    setEmbedding(c.default_embedding_model_id ?? '');
                    setGeneration(c.default_generation_model_id ?? '');
                    setDefaults(c.generation_defaults);
                  }}
                >
                  Reset
                </Button>
                <Button type="submit" variant="primary" loading={saveConfig.pending}>
                  Save LLM settings
                </Button>
              </div>
            </form>
          ) : null
        }
      </QueryView>
    </Card>
  );
}

function HealthCard() {
  const health = useQuery(
    keys.admin.llm.health(false),
    () => call(api.GET('/api/v1/admin/llm/health', { params: { query: { probe: false } } })),
    { pollMs: 30_000 },
  );
  // Probing tests every model now; its answer replaces the cached health (the admin dashboard's too).
  const probe = useMutation(() => call(api.GET('/api/v1/admin/llm/health', { params: { query: { probe: true } } })), {
    invalidates: [keys.admin.models.all],
    onSuccess: (h) => health.setData(h),
  });
  const columns: Column<Health['models'][number]>[] = [
    {
      key: 'name',
      header: 'Model',
      render: (m) => (
        <span>
          <strong>{m.name}</strong>
          {m.is_default ? (
            <>
              {' '}
              <StatusBadge status="default" tone="info">
                default
              </StatusBadge>
            </>
          ) : null}
        </span>
      ),
    },
    {
      key: 'type',
      header: 'Type',
      render: (m) => (m.type === 'embedding' ? 'Embedding' : m.type === 'rerank' ? 'Rerank' : 'Generation'),
    },
    { key: 'provider', header: 'Provider', render: (m) => m.provider, hideOnMobile: true },
    {
      key: 'health',
      header: 'Health',
      render: (m) =>
        m.last_test ? (
          <Tooltip content={m.last_test.message}>
            <StatusBadge status={m.health} />
          </Tooltip>
        ) : (
          <StatusBadge status={m.health}>untested</StatusBadge>
        ),
    },
    {
      key: 'latency',
      header: 'Latency',
      align: 'right',
      hideOnMobile: true,
      render: (m) => formatMs(m.last_test?.latency_ms),
    },
    { key: 'tested', header: 'Last test', hideOnMobile: true, render: (m) => formatRelative(m.last_test?.tested_at) },
  ];
  return (
    <Card
      title="Model health"
      actions={
        <Button size="sm" loading={probe.pending} onClick={() => void probe.run()}>
          Check all now
        </Button>
      }
    >
      {probe.error ? <ErrorBanner error={probe.error} title="The models could not be checked" /> : null}
      <QueryView query={health} loadingLabel="Checking models…" isEmpty={(h) => h.models.length === 0}>
        {(h) => (
          <div className="stack">
            <p className="kv-inline" data-testid="health-summary">
              <span>
                <StatusBadge status="healthy" /> {h.healthy}
              </span>
              <span>
                <StatusBadge status="unhealthy" /> {h.unhealthy}
              </span>
              <span>
                <StatusBadge status="unknown">untested</StatusBadge> {h.unknown}
              </span>
              <span>
                {h.probed ? 'probed' : 'from the last tests'} · {formatRelative(h.checked_at)}
              </span>
            </p>
            <Table label="Model health" columns={columns} rows={h.models} rowKey={(m) => m.id} />
          </div>
        )}
      </QueryView>
    </Card>
  );
}

const RATE_LIMITS: { key: keyof Settings['rate_limits']; label: string; min: number; max: number }[] = [
  { key: 'api_requests_per_minute', label: 'API requests / min / user', min: 10, max: 100_000 },
  { key: 'login_attempts_per_minute', label: 'Login attempts / min / address', min: 1, max: 1_000 },
  { key: 'search_requests_per_minute', label: 'Searches / min / user', min: 1, max: 10_000 },
  { key: 'chat_requests_per_minute', label: 'Chat questions / min / user', min: 1, max: 10_000 },
  { key: 'upload_requests_per_minute', label: 'Uploads / min / user', min: 1, max: 100_000 },
];

function SystemSettingsCard() {
  const config = useQuery(keys.admin.settings, () => call(api.GET('/api/v1/admin/config')));
  const [settings, setSettings] = useState<Settings | undefined>();
  const [applied, setApplied] = useState<Applied | undefined>();
  const saveSettings = useMutation(
    (body: BodyOf<'/api/v1/admin/config', 'put'>) => call(api.PUT('/api/v1/admin/config', { body })),
    {
      invalidates: [keys.admin.settings],
      onSuccess: (res, body) => {
        config.setData(res);
        setApplied({ version: res.version, changed: changedKeys(body as Record<string, unknown>), at: res.updated_at });
      },
      onError: () => setApplied(undefined),
    },
  );

  useEffect(() => {
    if (config.data) setSettings(config.data.settings);
  }, [config.data]);

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!config.data || !settings) return;
    const before = config.data.settings;
    const body: Record<string, unknown> = {};
    if (settings.max_upload_size_mb !== before.max_upload_size_mb)
      body.max_upload_size_mb = settings.max_upload_size_mb;
    if (settings.session_timeout_minutes !== before.session_timeout_minutes)
      body.session_timeout_minutes = settings.session_timeout_minutes;
    const limits: Record<string, number> = {};
    for (const { key } of RATE_LIMITS) {
      if (settings.rate_limits[key] !== before.rate_limits[key]) limits[key] = settings.rate_limits[key];
    }
    if (Object.keys(limits).length > 0) body.rate_limits = limits;
    saveSettings.reset();
    if (Object.keys(body).length === 0) {
      setApplied({ version: config.data.version, changed: [], at: new Date().toISOString() });
      return;
    }
    void saveSettings.run(body as BodyOf<'/api/v1/admin/config', 'put'>);
  };

  return (
    <Card title="System settings">
      <QueryView query={config} loadingLabel="Loading system settings…">
        {(c) =>
          settings ? (
            <form className="form" onSubmit={save} aria-label="System settings" noValidate>
              {saveSettings.error ? <ErrorBanner error={saveSettings.error} title="Not saved" /> : null}
              {applied ? <AppliedFeedback applied={applied} /> : null}
              <FieldRow>
                <NumberField
                  label="Max upload size (MiB)"
                  value={settings.max_upload_size_mb}
                  onChange={(v) => setSettings({ ...settings, max_upload_size_mb: v ?? 0 })}
                  min={1}
                  max={2048}
                  step={1}
                  hint="Largest document a user may upload (1–2048)."
                />
                <NumberField
                  label="Session timeout (minutes)"
                  value={settings.session_timeout_minutes}
                  onChange={(v) => setSettings({ ...settings, session_timeout_minutes: v ?? 0 })}
                  min={5}
                  max={43200}
                  step={1}
                  hint="How long a session stays valid without activity."
                />
              </FieldRow>
              <fieldset className="fieldset">
                <legend>Rate limits</legend>
                <div className="field-grid">
                  {RATE_LIMITS.map((r) => (
                    <NumberField
                      key={r.key}
                      label={r.label}
                      value={settings.rate_limits[r.key]}
                      onChange={(v) =>
                        setSettings({ ...settings, rate_limits: { ...settings.rate_limits, [r.key]: v ?? 0 } })
                      }
                      min={r.min}
                      max={r.max}
                      step={1}
                    />
                  ))}
                </div>
              </fieldset>
              <div className="form-actions">
                <span className="muted spacer">
                  Version {c.version} · updated {formatRelative(c.updated_at)}
                  {c.updated_by ? ` by ${c.updated_by}` : ''}
                </span>
                <Button onClick={() => setSettings(c.settings)}>Reset</Button>
                <Button type="submit" variant="primary" loading={saveSettings.pending}>
                  Save system settings
                </Button>
              </div>
            </form>
          ) : null
        }
      </QueryView>
    </Card>
  );
}

function changedKeys(body: Record<string, unknown>): string[] {
  return Object.entries(body).flatMap(([k, v]) =>
    v && typeof v === 'object' ? Object.keys(v).map((sub) => `${k}.${sub}`) : [k],
  );
}
