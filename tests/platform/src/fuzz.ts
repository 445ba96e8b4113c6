/**
 * Malformed requests derived from a service's OpenAPI document: for each operation, a
 * plausible valid request, then variants that break one thing at a time (a wrong type,
 * a NUL byte, a number beyond bigint, an overlong string, a missing field, broken JSON,
 * a wrong or lying Content-Type, a broken multipart body). Deterministic for a seed.
 */

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  $ref?: string;
};

export interface Operation {
  method: string;
  /** Fastify-style path with `{name}` placeholders. */
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  /** The JSON body schema, when the operation takes JSON. */
  body?: JsonSchema;
  multipart: boolean;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}
interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  const components = doc.components?.schemas ?? {};
  const resolve = (s: JsonSchema | undefined): JsonSchema | undefined =>
    s?.$ref ? resolve(components[s.$ref.split('/').pop() ?? '']) : s;
  for (const [path, byMethod] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(byMethod)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const json = resolve(content['application/json']?.schema);
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(
          params.filter((p) => p.in === 'query').map((p) => [p.name, resolve(p.schema) ?? { type: 'string' }]),
        ),
        ...(json ? { body: json } : {}),
        multipart: 'multipart/form-data' in content,
      });
    }
  }
  return ops;
}

const typeOf = (s: JsonSchema): string | undefined => (Array.isArray(s.type) ? s.type[0] : s.type);

/** A value the schema accepts, as far as a simple reading of it goes. */
export function validValue(s: JsonSchema, rng: Rng, depth = 0): unknown {
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return pick(rng, s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return validValue(pick(rng, alternatives), rng, depth);
  if (s.allOf?.length) return Object.assign({}, ...s.allOf.map((p) => validValue(p, rng, depth)));
  switch (typeOf(s)) {
    case 'string':
      if (s.format === 'uuid') return crypto.randomUUID();
      if (s.format === 'email') return `fuzz${Math.floor(rng() * 1e6)}@example.com`;
      if (s.format === 'date-time') return new Date().toISOString();
      if (s.format === 'uri') return 'http://127.0.0.1:9/v1';
      return 'fuzz'.padEnd(Math.max(s.minLength ?? 1, Math.min(8, s.maxLength ?? 8)), 'z').slice(0, s.maxLength ?? 64);
    case 'integer':
    case 'number':
      return s.minimum ?? (s.maximum !== undefined ? Math.min(1, s.maximum) : 1);
    case 'boolean':
      return rng() < 0.5;
    case 'array':
      return depth > 4 || !s.items
        ? []
        : Array.from({ length: s.minItems ?? 1 }, () => validValue(s.items!, rng, depth + 1));
    case 'null':
      return null;
    default: {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(name) || rng() < 0.5) out[name] = validValue(prop, rng, depth + 1);
      }
      return out;
    }
  }
}

/** Hostile scalars: every one of these must be refused or handled, never crash. */
export const HOSTILE_VALUES: readonly unknown[] = [
  'nul\u0000byte',
  '\u0000',
  '99999999999999999999999',
  1e23,
  2 ** 63, // one past bigint's maximum once JSON-encoded (9223372036854776000)
  -(2 ** 64),
  1.5e308,
  -1,
  0,
  'x'.repeat(100_000),
  '',
  '\u202egnp.exe',
  '\ud800',
  '../../etc/passwd',
  "' or 1=1 --",
  true,
  null,
  [],
  {},
  [null],
  { $gt: '' },
  'not-a-uuid',
  '2026-13-45T99:99:99Z',
];

export const HOSTILE_PATH_SEGMENTS: readonly string[] = [
  '%00',
  'a%00b',
  '99999999999999999999999',
  'x'.repeat(5_000),
  'not-a-uuid',
  '..%2F..%2F',
  '%E0%A4%A',
  '-1',
  '00000000-0000-0000-0000-00000000000%00',
];

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was broken, for the failure message. */
  variant: string;
}

function mutateObject(body: unknown, rng: Rng): { value: unknown; what: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { value: pick(rng, HOSTILE_VALUES), what: 'body replaced by a hostile value' };
  }
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = rng();
  if (keys.length && roll < 0.15) {
    const key = pick(rng, keys);
    delete copy[key];
    return { value: copy, what: `missing ${key}` };
  }
  if (roll < 0.25) {
    copy[pick(rng, ['__proto__', 'constructor', 'extra', 'id', 'is_default'])] = pick(rng, HOSTILE_VALUES);
    return { value: copy, what: 'extra field' };
  }
  const key = keys.length ? pick(rng, keys) : 'name';
  const inner = copy[key];
  if (inner && typeof inner === 'object' && !Array.isArray(inner) && rng() < 0.5) {
    const nested = mutateObject(inner, rng);
    copy[key] = nested.value;
    return { value: copy, what: `${key}.${nested.what}` };
  }
  const hostile = pick(rng, HOSTILE_VALUES);
  copy[key] = hostile;
  return { value: copy, what: `${key} = ${JSON.stringify(hostile)?.slice(0, 40)}` };
}

const BROKEN_JSON = [
  '{',
  '{"a":',
  '[1,2',
  'nul',
  '{"a":1}}',
  '\u0000',
  '{"a":"\\u0000"}',
  '{"a":"\\ud800"}',
  `${'['.repeat(5000)}`,
];

function brokenMultipart(rng: Rng): { payload: Buffer; contentType: string; what: string } {
  const boundary = 'fuzzboundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello`;
  const variants = [
    { payload: head, contentType: `multipart/form-data; boundary=${boundary}`, what: 'multipart cut before its end' },
    {
      payload: `${head}\r\n--${boundary}--\r\n`,
      contentType: 'multipart/form-data',
      what: 'multipart without boundary',
    },
    { payload: 'garbage', contentType: `multipart/form-data; boundary=${boundary}`, what: 'multipart garbage' },
    {
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\u0000.txt"\r\n\r\nx\r\n--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
      what: 'multipart file name with NUL',
    },
    {
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nnot a file\r\n--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
      what: 'multipart field instead of a file',
    },
    {
      payload: `--${boundary}\r\nBroken header line\r\n\r\nx\r\n--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
      what: 'multipart malformed part header',
    },
    {
      payload: '',
      contentType: `multipart/form-data; boundary=${'b'.repeat(300)}`,
      what: 'multipart overlong boundary',
    },
  ];
  const v = pick(rng, variants);
  return { payload: Buffer.from(v.payload), contentType: v.contentType, what: v.what };
}

/**
 * One request for `op`: valid except for one broken part. `ids` are real resource ids
 * (so some requests reach past the 404 into the domain code).
 */
export function malformedRequest(op: Operation, rng: Rng, ids: readonly string[]): FuzzRequest {
  const variants: string[] = [];
  let path = op.path;
  const breakPath = op.pathParams.length > 0 && rng() < 0.25;
  const broken = breakPath ? pick(rng, op.pathParams) : undefined;
  for (const name of op.pathParams) {
    let value: string;
    if (name === broken) {
      value = pick(rng, HOSTILE_PATH_SEGMENTS);
      variants.push(`path ${name} = ${value.slice(0, 40)}`);
    } else {
      value = ids.length && rng() < 0.7 ? pick(rng, ids) : crypto.randomUUID();
    }
    path = path.replace(`{${name}}`, value);
  }

  const query = new URLSearchParams();
  const queryNames = Object.keys(op.query);
  const brokenQuery = queryNames.length && rng() < 0.35 ? pick(rng, queryNames) : undefined;
  for (const name of queryNames) {
    if (name === brokenQuery) {
      const hostile = pick(rng, HOSTILE_VALUES);
      const text = typeof hostile === 'string' ? hostile : JSON.stringify(hostile);
      query.set(name, text);
      variants.push(`query ${name} = ${text.slice(0, 40)}`);
    } else if (rng() < 0.4) {
      query.set(name, String(validValue(op.query[name]!, rng)));
    }
  }
  if (rng() < 0.05) {
    query.append('unknown', '\u0000');
    variants.push('unknown query parameter');
  }
  const qs = query.toString();
  const url = qs ? `${path}?${qs}` : path;

  const headers: Record<string, string> = {};
  let payload: string | Buffer | undefined;
  if (op.multipart) {
    const mp = brokenMultipart(rng);
    headers['content-type'] = mp.contentType;
    payload = mp.payload;
    variants.push(mp.what);
  } else if (op.body || ['POST', 'PUT', 'PATCH'].includes(op.method)) {
    const roll = rng();
    if (roll < 0.15) {
      headers['content-type'] = 'application/json';
      payload = pick(rng, BROKEN_JSON);
      variants.push('broken JSON');
    } else if (roll < 0.25) {
      headers['content-type'] = pick(rng, [
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'image/png',
      ]);
      payload = JSON.stringify(op.body ? validValue(op.body, rng) : {});
      variants.push(`content-type ${headers['content-type']}`);
    } else if (roll < 0.3) {
      headers['content-type'] = 'application/json';
      payload = '';
      variants.push('empty JSON body');
    } else {
      headers['content-type'] = 'application/json';
      const valid = op.body ? validValue(op.body, rng) : {};
      if (variants.length && rng() < 0.5) {
        payload = JSON.stringify(valid);
      } else {
        const m = mutateObject(valid, rng);
        payload = JSON.stringify(m.value);
        variants.push(`body ${m.what}`);
      }
    }
  }
  return {
    method: op.method,
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
    variant: variants.join(', ') || 'valid',
  };
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Resource ids found in a response body, to aim later requests at real rows. */
export function idsIn(body: string): string[] {
  return body.match(UUID) ?? [];
}
