/**
 * Checks a model against its provider's form description (providers.ts), fills in the
 * described defaults and normalises values. Every problem is reported at once, each
 * with the field, the rule it broke and a sentence an admin can act on.
 */
import type { ModelType, Provider } from '@lumikb/contracts';
import { errors } from '../errors.ts';
import { type ConstraintSpec, type FieldSpec, providerSpec } from './providers.ts';

export interface ModelProblem {
  field: string;
  rule:
    | 'required'
    | 'type'
    | 'minimum'
    | 'maximum'
    | 'enum'
    | 'pattern'
    | 'length'
    | 'format'
    | 'unknown_field'
    | 'constraint';
  message: string;
  [extra: string]: unknown;
}

export interface CandidateModel {
  type: ModelType;
  provider: Provider;
  model_id: unknown;
  api_endpoint: unknown;
  config: Record<string, unknown>;
  /** A key given in this request (validated, never returned), or whether one is already stored. */
  apiKey: { given: unknown } | { stored: boolean };
}

export interface NormalizedModel {
  model_id: string;
  api_endpoint: string | null;
  config: Record<string, unknown>;
  /** The trimmed key given in this request, if any. */
  api_key?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateModelInput(candidate: CandidateModel): NormalizedModel {
  const spec = providerSpec(candidate.provider);
  const fields = spec.fields[candidate.type];
  if (!fields) {
    throw errors.PROVIDER_TYPE_UNSUPPORTED(
      `${spec.label} offers no ${candidate.type} models; choose one of its types (${spec.model_types.join(', ')}) or another provider`,
      { provider: candidate.provider, type: candidate.type, supported_types: spec.model_types },
    );
  }
  const problems: ModelProblem[] = [];
  const config: Record<string, unknown> = {};
  let modelId: string | undefined;
  let endpoint: string | null = null;
  let apiKey: string | undefined;
  const byKey = new Map(fields.map((f) => [f.key, f]));

  for (const key of Object.keys(candidate.config)) {
    if (!byKey.has(`config.${key}`)) {
      const known = fields.filter((f) => f.key.startsWith('config.')).map((f) => f.key.slice(7));
      problems.push({
        field: `config.${key}`,
        rule: 'unknown_field',
        message: `config.${key} is not a setting of ${spec.label} ${candidate.type} models (known: ${known.join(', ')})`,
      });
    }
  }
  if (!byKey.has('api_endpoint') && candidate.api_endpoint !== undefined && candidate.api_endpoint !== null) {
    problems.push({
      field: 'api_endpoint',
      rule: 'unknown_field',
      message: `${spec.label} models take no endpoint`,
    });
  }
  const keySpec = byKey.get('api_key');
  if ('given' in candidate.apiKey && candidate.apiKey.given !== undefined && candidate.apiKey.given !== null) {
    if (!keySpec) {
      problems.push({ field: 'api_key', rule: 'unknown_field', message: `${spec.label} models take no API key` });
    } else {
      const checked = checkSecret(keySpec, candidate.apiKey.given);
      if (typeof checked === 'string') apiKey = checked;
      else problems.push(checked);
    }
  } else if (keySpec?.required && !('stored' in candidate.apiKey && candidate.apiKey.stored)) {
    problems.push({ field: 'api_key', rule: 'required', message: `${spec.label} needs an API key` });
  }

  for (const field of fields) {
    if (field.key === 'api_key') continue;
    const raw =
      field.key === 'model_id'
        ? candidate.model_id
        : field.key === 'api_endpoint'
          ? candidate.api_endpoint
          : candidate.config[field.key.slice(7)];
    let value: unknown = raw;
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      if (field.default !== undefined) {
        value = structuredClone(field.default);
      } else {
        if (field.required)
          problems.push({ field: field.key, rule: 'required', message: `${field.label} is required` });
        continue;
      }
    }
    const checked = checkField(field, value);
    if ('problem' in checked) {
      problems.push(checked.problem);
      continue;
    }
    if (field.key === 'model_id') modelId = checked.value as string;
    else if (field.key === 'api_endpoint') endpoint = checked.value as string;
    else config[field.key.slice(7)] = checked.value;
  }

  const failed = new Set(problems.map((p) => p.field));
  for (const constraint of spec.constraints[candidate.type] ?? []) {
    const problem = checkConstraint(constraint, config, failed);
    if (problem) problems.push(problem);
  }

  if (problems.length > 0) {
    throw errors.INVALID_MODEL_CONFIG(
      problems.length === 1
        ? problems[0]!.message
        : `${problems.length} fields are invalid: ${problems.map((p) => p.field).join(', ')}`,
      { problems },
    );
  }
  return { model_id: modelId!, api_endpoint: endpoint, config, ...(apiKey !== undefined ? { api_key: apiKey } : {}) };
}

type Checked = { value: unknown } | { problem: ModelProblem };

function checkField(field: FieldSpec, value: unknown): Checked {
  const fail = (rule: ModelProblem['rule'], message: string, extra: Record<string, unknown> = {}): Checked => ({
    problem: { field: field.key, rule, message, ...extra },
  });
  const got = ` (got ${JSON.stringify(value)?.slice(0, 80)})`;
  switch (field.type) {
    case 'string':
    case 'url': {
      if (typeof value !== 'string') return fail('type', `${field.label} must be text${got}`);
      const text = value.trim();
      if (CONTROL.test(text)) return fail('format', `${field.label} contains control characters`);
      if (field.max_length !== undefined && text.length > field.max_length)
        return fail('length', `${field.label} is longer than ${field.max_length} characters`, {
          max_length: field.max_length,
        });
      if (field.pattern && !new RegExp(field.pattern).test(text))
        return fail('pattern', `${field.label} has an unexpected format${got}`, { pattern: field.pattern });
      return field.type === 'url' ? checkUrl(field, text) : { value: text };
    }
    case 'integer':
    case 'number': {
      const isInt = field.type === 'integer';
      if (typeof value !== 'number' || !Number.isFinite(value) || (isInt && !Number.isInteger(value))) {
        return fail('type', `${field.label} must be ${isInt ? 'a whole number' : 'a number'}${got}`);
      }
      return checkBounds(field, value, fail) ?? { value };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { value } : fail('type', `${field.label} must be true or false${got}`);
    case 'enum':
      return field.options?.includes(value as string | number)
        ? { value }
        : fail('enum', `${field.label} must be one of ${field.options?.join(', ')}${got}`, {
            options: field.options,
          });
    case 'tags': {
      if (!Array.isArray(value)) return fail('type', `${field.label} must be a list of words${got}`);
      const tags: string[] = [];
      for (const item of value) {
        if (typeof item !== 'string') return fail('type', `${field.label} may only contain text${got}`);
        const tag = item.trim();
        if (tag.length === 0 || (field.max_length !== undefined && tag.length > field.max_length))
          return fail('length', `each tag must be 1 to ${field.max_length} characters (got "${tag.slice(0, 40)}")`);
        if (field.pattern && !new RegExp(field.pattern).test(tag))
          return fail('pattern', `tag "${tag}" may only use letters, digits, ".", "_" and "-"`);
        if (!tags.includes(tag)) tags.push(tag);
      }
      if (field.maximum !== undefined && tags.length > field.maximum)
        return fail('maximum', `at most ${field.maximum} tags are allowed (got ${tags.length})`, {
          maximum: field.maximum,
        });
      return { value: tags };
    }
    case 'range': {
      if (
        !Array.isArray(value) ||
        value.length !== 2 ||
        !value.every((n) => typeof n === 'number' && Number.isFinite(n))
      ) {
        return fail('type', `${field.label} must be two numbers [min, max]${got}`);
      }
      const [low, high] = value as [number, number];
      for (const n of [low, high]) {
        const problem = checkBounds(field, n, fail);
        if (problem) return problem;
      }
      if (low > high) return fail('constraint', `${field.label}: the minimum ${low} is above the maximum ${high}`);
      return { value: [low, high] };
    }
    case 'secret':
      return fail('type', `${field.label} cannot be checked here`);
  }
}

function checkBounds(
  field: FieldSpec,
  value: number,
  fail: (rule: ModelProblem['rule'], message: string, extra?: Record<string, unknown>) => Checked,
): Checked | undefined {
  const between =
    field.minimum !== undefined && field.maximum !== undefined
      ? `between ${field.minimum} and ${field.maximum}`
      : field.minimum !== undefined
        ? `at least ${field.minimum}`
        : `at most ${field.maximum}`;
  const bounds = { minimum: field.minimum, maximum: field.maximum, actual: value };
  if (field.minimum !== undefined && value < field.minimum)
    return fail('minimum', `${field.label} must be ${between} (got ${value})`, bounds);
  if (field.exclusive_minimum !== undefined && value <= field.exclusive_minimum)
    return fail('minimum', `${field.label} must be greater than ${field.exclusive_minimum} (got ${value})`, bounds);
  if (field.maximum !== undefined && value > field.maximum)
    return fail('maximum', `${field.label} must be ${between} (got ${value})`, bounds);
  return undefined;
}

function checkUrl(field: FieldSpec, text: string): Checked {
  const fail = (message: string): Checked => ({ problem: { field: field.key, rule: 'format', message } });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`${field.label} must be a URL such as http://host:port (got "${text.slice(0, 80)}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`${field.label} must start with http:// or https://`);
  // Credentials in a URL would be stored and shown in plain text; they belong in the API key.
  if (url.username || url.password)
    return fail(`${field.label} must not contain a user name or password; use the API key field`);
  if (url.search || url.hash) return fail(`${field.label} must not contain a query string or fragment`);
  return { value: url.toString().replace(/\/+$/, '') };
}

function checkSecret(field: FieldSpec, value: unknown): string | ModelProblem {
  const problem = (rule: ModelProblem['rule'], message: string): ModelProblem => ({ field: 'api_key', rule, message });
  if (typeof value !== 'string') return problem('type', 'API key must be text');
  // Keys pasted from a console often carry a trailing newline or space.
  const key = value.trim();
  if (key.length === 0)
    return problem('required', 'API key is empty; omit it to keep the stored key, or send null to remove it');
  if (field.max_length !== undefined && key.length > field.max_length)
    return problem('length', `API key is longer than ${field.max_length} characters`);
  if (/\s/.test(key) || CONTROL.test(key)) return problem('format', 'API key must not contain spaces or line breaks');
  return key;
}

function checkConstraint(
  constraint: ConstraintSpec,
  config: Record<string, unknown>,
  failed: Set<string>,
): ModelProblem | undefined {
  const get = (key: string) => config[key.slice(7)];
  if (constraint.kind === 'lte') {
    if (failed.has(constraint.left) || failed.has(constraint.right)) return undefined;
    const left = get(constraint.left);
    const right = get(constraint.right);
    if (typeof left === 'number' && typeof right === 'number' && left > right) {
      return { field: constraint.left, rule: 'constraint', message: `${constraint.message} (${left} > ${right})` };
    }
    return undefined;
  }
  if (failed.has(constraint.value) || failed.has(constraint.range)) return undefined;
  const value = get(constraint.value);
  const range = get(constraint.range);
  if (typeof value === 'number' && Array.isArray(range)) {
    const [low, high] = range as [number, number];
    if (value < low || value > high) {
      return {
        field: constraint.value,
        rule: 'constraint',
        message: `${constraint.message} (${value} is outside [${low}, ${high}])`,
      };
    }
  }
  return undefined;
}
