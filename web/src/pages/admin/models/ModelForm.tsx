/**
 * Add or edit a model (7-9). Type and provider choose the form; every other field comes
 * from the providers endpoint. "Test connection" tests what is in the form (saved or
 * not); the server's refusals appear at the fields they concern.
 */
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { type ApiError, api, call } from '../../../api/client.ts';
import { useMutation } from '../../../api/hooks.ts';
import { changed } from '../../../api/keys.ts';
import { Button } from '../../../components/Button.tsx';
import { CheckboxField, NumberField, SelectField, TextField } from '../../../components/Field.tsx';
import { Modal } from '../../../components/Modal.tsx';
import { Banner, ErrorBanner } from '../../../components/States.tsx';
import { ConnectionResult, type TestResult } from './ConnectionResult.tsx';
import {
  constraintsOf,
  type FieldSpec,
  fieldsOf,
  GROUP_LABELS,
  initialValues,
  type ModelDetail,
  type ModelStatus,
  type ModelType,
  type ProviderId,
  type ProviderInfo,
  type Providers,
  problemsByField,
  toBody,
  typeLabel,
  type Values,
  validate,
} from './fields.ts';

const STATUS_OPTIONS = [
  { value: 'active', label: 'Active — can be chosen for knowledge bases' },
  { value: 'inactive', label: 'Inactive — hidden from new knowledge bases' },
  { value: 'deprecated', label: 'Deprecated — kept for existing knowledge bases' },
];

export function ModelForm({
  providers,
  model,
  onClose,
  onSaved,
}: {
  providers: Providers;
  /** The saved model when editing. */
  model?: ModelDetail | undefined;
  onClose: () => void;
  onSaved: (model: { id: string; name: string }, created: boolean) => void;
}) {
  const editing = model !== undefined;
  const [type, setType] = useState<ModelType>(model?.type ?? 'embedding');
  const [providerId, setProviderId] = useState<ProviderId>(model?.provider ?? 'ollama');
  const provider: ProviderInfo | undefined = providers.find((p) => p.id === providerId);
  const fields = useMemo(() => fieldsOf(provider, type), [provider, type]);
  const constraints = useMemo(() => constraintsOf(provider, type), [provider, type]);
  const [name, setName] = useState(model?.name ?? '');
  const [status, setStatus] = useState<ModelStatus>(model?.status ?? 'active');
  const [values, setValues] = useState<Values>(() => initialValues(fields, model));
  const [removeKey, setRemoveKey] = useState(false);
  const [touched, setTouched] = useState(false);
  const [serverProblems, setServerProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | undefined>();
  const [result, setResult] = useState<TestResult | undefined>();
  // Saving after a failed test needs a second, explicit click ("Add anyway").
  const [confirmFailed, setConfirmFailed] = useState(false);
  // Bumped on each refused submit so the first invalid field is brought into view again.
  const [attempt, setAttempt] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  // A new type or provider is a new form: its own fields with their defaults.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the form changes shape
  useEffect(() => {
    if (editing) return;
    setValues(initialValues(fields));
    setServerProblems({});
    setResult(undefined);
    setError(undefined);
    setConfirmFailed(false);
  }, [type, providerId]);

  const providersForType = providers.filter((p) => p.model_types.includes(type));
  useEffect(() => {
    if (!editing && !providersForType.some((p) => p.id === providerId) && providersForType[0]) {
      setProviderId(providersForType[0].id as ProviderId);
    }
  }, [editing, providersForType, providerId]);

  const clientErrors = validate(fields, constraints, values, {
    editing,
    hasStoredKey: model?.has_api_key ?? false,
  });
  if (!name.trim()) clientErrors.name = 'Name is required';
  const shownErrors = { ...(touched ? clientErrors : {}), ...serverProblems };
  const usedBy = model?.used_by ?? [];
  const embeddingInUse = editing && type === 'embedding' && usedBy.some((u) => u.role === 'embedding');

  const set = (key: string, value: unknown) => {
    setValues((v) => ({ ...v, [key]: value }));
    setServerProblems((p) => {
      const { [key]: _, ...rest } = p;
      return rest;
    });
  };

  const body = () => {
    const fieldsBody = toBody(fields, values, editing);
    if (editing && removeKey) fieldsBody.api_key = null;
    return fieldsBody;
  };

  // The test's and the save's refusals share one place in the footer.
  const handleServerError = (err: ApiError) => {
    setServerProblems(problemsByField(err.details));
    setError(err);
  };

  // The dialog body scrolls; the field a refusal names may be far from the footer's button.
  useEffect(() => {
    if (attempt === 0) return;
    const invalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    invalid?.scrollIntoView?.({ block: 'center' });
    invalid?.focus({ preventScroll: true });
  }, [attempt]);

  const runTest = useMutation(
    () => {
      const b = body();
      const reuseKey = editing && model.has_api_key && b.api_key === undefined;
      return call(
        api.POST('/api/v1/admin/models/test', {
          body: {
            type,
            provider: providerId,
            name: name.trim(),
            ...b,
            ...(reuseKey ? { reuse_api_key_from: model.id } : {}),
          },
        }),
      );
    },
    { onSuccess: setResult, onError: handleServerError },
  );
  const testing = runTest.pending;
  const test = () => {
    setResult(undefined);
    setError(undefined);
    setConfirmFailed(false);
    void runTest.run();
  };

  const save = useMutation(
    () => {
      const b = body();
      return editing
        ? call(
            api.PUT('/api/v1/admin/models/{id}', {
              params: { path: { id: model.id } },
              body: { name: name.trim(), status, ...b },
            }),
          )
        : call(
            api.POST('/api/v1/admin/models', { body: { type, provider: providerId, name: name.trim(), status, ...b } }),
          );
    },
    {
      // Pickers, dashboards and KB pages show models too.
      invalidates: changed.models(),
      onSuccess: (saved) => onSaved(saved, !editing),
      onError: (err) => {
        handleServerError(err);
        setAttempt((n) => n + 1);
      },
    },
  );
  const saving = save.pending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(clientErrors).length > 0) {
      setAttempt((n) => n + 1);
      return;
    }
    if (result && !result.success && !confirmFailed) {
      setConfirmFailed(true);
      return;
    }
    setError(undefined);
    void save.run();
  };

  const labelOf = (key: string) => (key === 'name' ? 'Name' : (fields.find((f) => f.key === key)?.label ?? key));
  const invalidLabels = Object.entries(shownErrors)
    .filter(([, message]) => Boolean(message))
    .map(([key]) => labelOf(key));
  const warnFailed = confirmFailed && result !== undefined && !result.success;

  const groups = (['connection', 'model', 'parameters'] as const)
    .map((g) => ({ id: g, fields: fields.filter((f) => f.group === g) }))
    .filter((g) => g.fields.length > 0);

  return (
    <Modal
      open
      size="lg"
      title={editing ? `Edit ${model.name}` : 'Add a model'}
      onClose={onClose}
      footer={
        <>
          {/* Feedback sits in the footer, next to the buttons that caused it, so it is in view
              whatever the body's scroll position (the body scrolls, the footer does not). */}
          {error || invalidLabels.length > 0 || result || warnFailed ? (
            <div className="modal-feedback" data-testid="model-form-feedback">
              {warnFailed ? (
                <div className="banner banner-warning" role="alert">
                  <div className="banner-body">
                    <strong className="banner-title">The last connection test failed</strong>
                    <span className="banner-message">
                      Knowledge bases that use this model will fail until it answers. Test again, or choose "
                      {editing ? 'Save anyway' : 'Add anyway'}" to keep it as it is.
                    </span>
                  </div>
                </div>
              ) : null}
              {error ? <ErrorBanner error={error} title={editing ? 'Not saved' : 'Not added'} /> : null}
              {!error && invalidLabels.length > 0 ? (
                <div className="banner banner-error" role="alert">
                  <div className="banner-body">
                    <strong className="banner-title">
                      {editing ? 'Not saved' : 'Not added'}:{' '}
                      {invalidLabels.length === 1 ? 'one field needs' : `${invalidLabels.length} fields need`} attention
                    </strong>
                    <span className="banner-message">{invalidLabels.join(', ')}</span>
                  </div>
                </div>
              ) : null}
              {result ? <ConnectionResult result={result} /> : null}
            </div>
          ) : null}
          <Button onClick={test} loading={testing} disabled={saving}>
            Test connection
          </Button>
          <span className="spacer" />
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="model-form" variant={warnFailed ? 'danger' : 'primary'} loading={saving}>
            {warnFailed ? (editing ? 'Save anyway' : 'Add anyway') : editing ? 'Save changes' : 'Add model'}
          </Button>
        </>
      }
    >
      <form id="model-form" ref={formRef} className="form" onSubmit={submit} noValidate>
        {error?.code === 'MODEL_IN_USE' ? <UsedByList details={error.details} /> : null}
        {embeddingInUse ? (
          <Banner tone="warning">
            Used as the embedding model of{' '}
            {usedBy
              .filter((u) => u.role === 'embedding')
              .map((u) => u.name)
              .join(', ')}
            . Its dimensions and distance metric are locked while knowledge bases depend on them.
          </Banner>
        ) : null}

        <fieldset className="fieldset">
          <legend>Model type</legend>
          <div className="row" role="radiogroup" aria-label="Model type">
            {(['embedding', 'generation', 'rerank'] as const).map((t) => (
              <label key={t} className={`choice ${type === t ? 'choice-on' : ''}`}>
                <input
                  type="radio"
                  name="model-type"
                  value={t}
                  checked={type === t}
                  disabled={editing}
                  onChange={() => setType(t)}
                />
                <span>
                  <strong>{typeLabel(t)}</strong>
                  <span className="cell-sub">
                    {t === 'embedding'
                      ? 'Turns text into vectors for search'
                      : t === 'rerank'
                        ? 'Reorders the best search hits'
                        : 'Writes chat answers'}
                  </span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>

        <SelectField
          label="Provider"
          value={providerId}
          onChange={(v) => setProviderId(v as ProviderId)}
          disabled={editing}
          options={providersForType.map((p) => ({ value: p.id, label: p.label }))}
          hint={
            provider
              ? `${provider.description} ${provider.routing === 'proxy' ? '(Routed through the LiteLLM proxy.)' : ''}`
              : undefined
          }
        />
        <TextField
          label="Name"
          value={name}
          onChange={(v) => {
            setName(v);
            setServerProblems((p) => ({ ...p, name: '' }));
          }}
          required
          maxLength={255}
          placeholder={
            type === 'embedding'
              ? 'e.g. Nomic embed (Ollama)'
              : type === 'rerank'
                ? 'e.g. Cohere rerank v3.5'
                : 'e.g. Llama 3.2 (Ollama)'
          }
          hint="Shown to users when they choose models for a knowledge base."
          error={shownErrors.name || undefined}
        />

        {groups.map((g) => (
          <fieldset key={g.id} className="fieldset" data-group={g.id}>
            <legend>{GROUP_LABELS[g.id]}</legend>
            <div className="field-grid">
              {g.fields.map((f) => (
                <DynamicField
                  key={`${providerId}-${type}-${f.key}`}
                  spec={f}
                  value={values[f.key]}
                  onChange={(v) => set(f.key, v)}
                  error={shownErrors[f.key]}
                  keyStored={editing && model.has_api_key}
                  locked={embeddingInUse && (f.key === 'config.dimensions' || f.key === 'config.distance_metric')}
                />
              ))}
            </div>
            {g.id === 'connection' &&
            editing &&
            model.has_api_key &&
            fields.some((f) => f.key === 'api_key' && !f.required) ? (
              <CheckboxField label="Remove the stored API key" checked={removeKey} onChange={setRemoveKey} />
            ) : null}
          </fieldset>
        ))}

        <SelectField
          label="Status"
          value={status}
          onChange={(v) => setStatus(v as ModelStatus)}
          options={STATUS_OPTIONS}
          hint={
            model?.is_default
              ? 'This is a default model: make another one the default before deactivating it.'
              : undefined
          }
        />

        {!result && !editing ? (
          <p className="muted">Test the connection before adding the model: nothing is saved by a test.</p>
        ) : null}
      </form>
    </Modal>
  );
}

/** The knowledge bases the server named when it refused (MODEL_IN_USE). */
export function UsedByList({ details }: { details: unknown }) {
  const kbs = (details as { knowledge_bases?: { id: string; name: string; role?: string }[] } | undefined)
    ?.knowledge_bases;
  if (!kbs?.length) return null;
  return (
    <div className="banner banner-warning" data-testid="dependent-kbs">
      <div className="banner-body">
        <strong>Knowledge bases that depend on this model</strong>
        <ul>
          {kbs.map((kb) => (
            <li key={kb.id}>
              {kb.name}
              {kb.role ? <span className="muted"> — {kb.role} model</span> : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

function DynamicField({
  spec,
  value,
  onChange,
  error,
  keyStored,
  locked,
}: {
  spec: FieldSpec;
  value: unknown;
  onChange: (value: unknown) => void;
  error: string | undefined;
  keyStored: boolean;
  locked: boolean;
}) {
  const common = {
    label: spec.label,
    hint: spec.help,
    error: error || undefined,
    required: spec.required && !(spec.type === 'secret' && keyStored),
    disabled: locked,
  };
  switch (spec.type) {
    case 'boolean':
      return (
        <CheckboxField
          label={spec.label}
          hint={spec.help}
          checked={value === true}
          onChange={onChange}
          disabled={locked}
        />
      );
    case 'integer':
    case 'number':
      return (
        <NumberField
          {...common}
          value={typeof value === 'number' ? value : undefined}
          onChange={onChange}
          min={spec.minimum}
          max={spec.maximum}
          step={spec.type === 'integer' ? 1 : 'any'}
          placeholder={spec.placeholder}
        />
      );
    case 'enum':
      return (
        <SelectField
          {...common}
          value={String(value ?? '')}
          onChange={(v) => {
            const option = spec.options?.find((o) => String(o) === v);
            onChange(option ?? v);
          }}
          placeholder={spec.required ? undefined : '(default)'}
          options={(spec.options ?? []).map((o) => ({ value: String(o), label: String(o) }))}
        />
      );
    case 'range': {
      const [lo, hi] = (Array.isArray(value) ? value : [undefined, undefined]) as [
        number | undefined,
        number | undefined,
      ];
      return (
        <fieldset className="field field-range">
          <legend className="field-label">{spec.label}</legend>
          <div className="range-inputs">
            <input
              className="input"
              type="number"
              step="any"
              aria-label={`${spec.label} from`}
              value={lo ?? ''}
              min={spec.minimum}
              max={spec.maximum}
              disabled={locked}
              onChange={(e) => onChange([e.target.value === '' ? undefined : Number(e.target.value), hi])}
            />
            <span aria-hidden="true">–</span>
            <input
              className="input"
              type="number"
              step="any"
              aria-label={`${spec.label} to`}
              value={hi ?? ''}
              min={spec.minimum}
              max={spec.maximum}
              disabled={locked}
              onChange={(e) => onChange([lo, e.target.value === '' ? undefined : Number(e.target.value)])}
            />
          </div>
          {spec.help ? <p className="field-hint">{spec.help}</p> : null}
          {error ? <p className="field-error">{error}</p> : null}
        </fieldset>
      );
    }
    case 'secret':
      return (
        <TextField
          {...common}
          type="password"
          autoComplete="new-password"
          value={String(value ?? '')}
          onChange={onChange}
          placeholder={keyStored ? 'Stored — leave empty to keep it' : spec.placeholder}
        />
      );
    case 'tags':
      return (
        <TextField {...common} value={String(value ?? '')} onChange={onChange} placeholder="comma, separated, tags" />
      );
    default:
      return (
        <TextField
          {...common}
          type={spec.type === 'url' ? 'url' : 'text'}
          value={String(value ?? '')}
          onChange={onChange}
          placeholder={spec.placeholder}
          maxLength={spec.max_length}
        />
      );
  }
}
