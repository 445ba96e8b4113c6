/**
 * The model form is rendered from GET /api/v1/admin/models/providers: each field spec
 * says its key (`model_id`, `api_endpoint`, `api_key` or `config.<name>`), type, limits
 * and default. This module turns specs into form values, checks them as the server
 * will, and builds the request body.
 */
import type { ResponseOf } from '../../../api/client.ts';

export type Providers = ResponseOf<'/api/v1/admin/models/providers', 'get'>['providers'];
export type ProviderInfo = Providers[number];
export type FieldSpec = ProviderInfo['fields'][string][number];
export type ConstraintSpec = ProviderInfo['constraints'][string][number];
export type AdminModel = ResponseOf<'/api/v1/admin/models', 'get'>['items'][number];
export type ModelDetail = ResponseOf<'/api/v1/admin/models/{id}', 'get'>;
export type ModelType = AdminModel['type'];
export type ProviderId = AdminModel['provider'];
export type ModelStatus = AdminModel['status'];

/** Form values by field key; tags are edited as text, ranges as two numbers. */
export type Values = Record<string, unknown>;

export function fieldsOf(provider: ProviderInfo | undefined, type: ModelType): FieldSpec[] {
  return provider?.fields[type] ?? [];
}

export function constraintsOf(provider: ProviderInfo | undefined, type: ModelType): ConstraintSpec[] {
  return provider?.constraints[type] ?? [];
}

function storedValue(model: ModelDetail, key: string): unknown {
  if (key === 'model_id') return model.model_id;
  if (key === 'api_endpoint') return model.api_endpoint ?? '';
  if (key === 'api_key') return '';
  if (key.startsWith('config.')) return model.config[key.slice('config.'.length)];
  return undefined;
}

/**
 * Starting values for required limits the provider gives no default for (local servers
 * such as Ollama or LM Studio cannot know the model yet): small enough for any current
 * model, and the admin changes them when the model allows more.
 */
export const FALLBACK_DEFAULTS: Record<string, number> = {
  'config.context_window': 8192,
  'config.max_output_tokens': 1024,
};

/** Initial values: the saved model's, else each field's default (or our fallback). */
export function initialValues(fields: FieldSpec[], model?: ModelDetail): Values {
  const values: Values = {};
  for (const f of fields) {
    const stored = model ? storedValue(model, f.key) : undefined;
    const value =
      stored !== undefined && stored !== null ? stored : model ? f.default : (f.default ?? FALLBACK_DEFAULTS[f.key]);
    values[f.key] = toFormValue(f, value);
  }
  return values;
}

function toFormValue(f: FieldSpec, value: unknown): unknown {
  switch (f.type) {
    case 'boolean':
      return value === true;
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : undefined;
    case 'tags':
      return Array.isArray(value) ? value.join(', ') : '';
    case 'range':
      return Array.isArray(value) ? [value[0], value[1]] : [undefined, undefined];
    default:
      return value === undefined || value === null ? '' : String(value);
  }
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.every((x) => x === undefined));
}

function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** What the server would say, per field key (same rules, checked before sending). */
export function validate(
  fields: FieldSpec[],
  constraints: ConstraintSpec[],
  values: Values,
  options: { editing: boolean; hasStoredKey: boolean },
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (isBlank(v)) {
      const keyKept = f.type === 'secret' && options.editing && options.hasStoredKey;
      if (f.required && !keyKept) errors[f.key] = `${f.label} is required`;
      continue;
    }
    if ((f.type === 'integer' || f.type === 'number') && typeof v === 'number') {
      if (f.type === 'integer' && !Number.isInteger(v)) errors[f.key] = `${f.label} must be a whole number`;
      else if (f.minimum !== undefined && v < f.minimum) errors[f.key] = `${f.label} must be at least ${f.minimum}`;
      else if (f.maximum !== undefined && v > f.maximum) errors[f.key] = `${f.label} must be at most ${f.maximum}`;
      else if (f.exclusive_minimum !== undefined && v <= f.exclusive_minimum)
        errors[f.key] = `${f.label} must be above ${f.exclusive_minimum}`;
    }
    if ((f.type === 'string' || f.type === 'url') && typeof v === 'string') {
      if (f.max_length !== undefined && v.length > f.max_length)
        errors[f.key] = `${f.label} is longer than ${f.max_length} characters`;
      else if (f.pattern && !new RegExp(f.pattern).test(v.trim())) errors[f.key] = `${f.label} has the wrong format`;
      else if (f.type === 'url' && !/^https?:\/\/\S+$/.test(v.trim()))
        errors[f.key] = `${f.label} must be an http(s) URL`;
    }
    if (f.type === 'tags' && typeof v === 'string') {
      const tags = parseTags(v);
      if (f.maximum !== undefined && tags.length > f.maximum) errors[f.key] = `At most ${f.maximum} tags`;
      else if (f.pattern && tags.some((t) => !new RegExp(f.pattern as string).test(t)))
        errors[f.key] = 'Tags may use letters, digits, ".", "_" and "-"';
    }
    if (f.type === 'range' && Array.isArray(v)) {
      const [lo, hi] = v as [number | undefined, number | undefined];
      if (lo === undefined || hi === undefined) errors[f.key] = 'Enter both the lowest and the highest value';
      else if (lo > hi) errors[f.key] = 'The lowest value must not exceed the highest';
      else if ((f.minimum !== undefined && lo < f.minimum) || (f.maximum !== undefined && hi > f.maximum))
        errors[f.key] = `Both values must lie within ${f.minimum}–${f.maximum}`;
    }
  }
  for (const c of constraints) {
    if (c.kind === 'lte' && c.left && c.right) {
      const l = values[c.left];
      const r = values[c.right];
      if (typeof l === 'number' && typeof r === 'number' && l > r && !errors[c.left]) errors[c.left] = c.message;
    }
    if (c.kind === 'within' && c.value && c.range) {
      const v = values[c.value];
      const range = values[c.range];
      if (typeof v === 'number' && Array.isArray(range)) {
        const [lo, hi] = range as [number | undefined, number | undefined];
        if (lo !== undefined && hi !== undefined && (v < lo || v > hi) && !errors[c.value]) errors[c.value] = c.message;
      }
    }
  }
  return errors;
}

function toApiValue(f: FieldSpec, v: unknown): unknown {
  if (f.type === 'tags') return parseTags(String(v ?? ''));
  if (typeof v === 'string') return v.trim();
  return v;
}

export interface ModelBody {
  model_id?: string;
  api_endpoint?: string | null;
  api_key?: string | null;
  config: Record<string, unknown>;
}

/**
 * The request body of the provider fields. Creating: blank optional fields are left out
 * (the server applies defaults). Editing: a blank optional config field is sent as null
 * (reset to default), and a blank key is left out (keep the stored one).
 */
export function toBody(fields: FieldSpec[], values: Values, editing: boolean): ModelBody {
  const body: ModelBody = { config: {} };
  for (const f of fields) {
    const v = values[f.key];
    const blank = isBlank(v) || (f.type === 'tags' && parseTags(String(v)).length === 0 && !editing);
    if (f.key === 'api_key') {
      if (!blank) body.api_key = String(v);
      continue;
    }
    if (f.key === 'model_id') {
      if (!blank) body.model_id = String(v).trim();
      continue;
    }
    if (f.key === 'api_endpoint') {
      if (!blank) body.api_endpoint = String(v).trim();
      else if (editing) body.api_endpoint = null;
      continue;
    }
    if (f.key.startsWith('config.')) {
      const name = f.key.slice('config.'.length);
      if (!blank) body.config[name] = toApiValue(f, v);
      else if (editing) body.config[name] = null;
    }
  }
  return body;
}

/** Server field problems (`details.problems[{field, message}]`) by form key. */
export function problemsByField(details: unknown): Record<string, string> {
  const problems = (details as { problems?: { field?: string; message?: string }[] } | undefined)?.problems;
  const out: Record<string, string> = {};
  for (const p of problems ?? []) {
    if (!p.field || !p.message) continue;
    const key = ['model_id', 'api_endpoint', 'api_key', 'name', 'status'].includes(p.field)
      ? p.field
      : p.field.startsWith('config.')
        ? p.field
        : `config.${p.field}`;
    out[key] = p.message;
  }
  return out;
}

export const GROUP_LABELS: Record<FieldSpec['group'], string> = {
  connection: 'Connection',
  model: 'Model',
  parameters: 'Parameters',
};

export function typeLabel(type: ModelType): string {
  return type === 'embedding' ? 'Embedding' : type === 'rerank' ? 'Rerank' : 'Generation';
}
