/**
 * A faithful in-memory Qdrant (REST, 1.19) for tests: every request body is validated
 * against Qdrant's own OpenAPI document, every 200 response against the response schema
 * of its operation, and answers use Qdrant's envelope, status codes and messages
 * (reference/protocols.md §4). Scores are computed for real (Cosine, Dot, Euclid, Manhattan).
 *
 * Supports the operations LumiKB uses; anything else answers 501 with an explicit message,
 * so a test never passes against behaviour the fake only pretends to have.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Teardown } from '../database.ts';
import { type FakeServer, startFakeServer } from '../fake-server.ts';

export const QDRANT_SPEC_FILE = 'qdrant-openapi-1.19.json';
const QDRANT_SPEC_SHA256 = 'ae5cf980e40fc12ce7ce48f500a7c9cc19a7d8fcf0cfa1e2c7c7b27faecd8ffa';
const WHITELIST = new Set(['/', '/healthz', '/readyz', '/livez']);
const FORBIDDEN_NAME = /[<>:"/\\|?*\0]/;

type QdrantDistance = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';
type PointKey = string;
type Json = unknown;

interface StoredPoint {
  id: string | number;
  vector: number[];
  /** Named sparse vectors: index → value. */
  sparse: Map<string, Map<number, number>>;
  payload: Record<string, Json>;
  version: number;
}

interface FakeCollection {
  size: number;
  distance: QdrantDistance;
  points: Map<PointKey, StoredPoint>;
  /** Named sparse vectors of the collection and their modifier. */
  sparse: Map<string, { modifier: 'none' | 'idf' }>;
  payloadSchema: Map<string, unknown>;
  createdWith: unknown;
}

export interface FakeQdrantRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

export interface FakeQdrantOptions {
  /** When set, every route except `/`, `/healthz`, `/readyz`, `/livez` needs it (`api-key` or Bearer). */
  apiKey?: string;
  /** Reported by `GET /`; default 1.19.0. */
  version?: string;
  /** Answer `PUT /collections/{name}/vectors/{vector}` with 404, as a Qdrant older than 1.19 does. */
  refuseVectorCreation?: boolean;
}

export type FakeQdrantOutage = false | 'unavailable' | 'reset';

export interface FakeQdrant extends FakeServer {
  /** Every request received, in order (body parsed, status answered). */
  requests: FakeQdrantRequest[];
  collections: Map<string, FakeCollection>;
  /** `'unavailable'`: every route answers 503; `'reset'`: connections are dropped; `false`: normal. */
  setOutage(mode: FakeQdrantOutage): void;
}

// ---------------------------------------------------------------------------------------
// The OpenAPI document and validators (compiled once per process, shared by every fake).

interface Operation {
  operationId: string;
  requestBody?: { content: { 'application/json': { schema: unknown } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: unknown } } }>;
}

let specCache: { paths: Record<string, Record<string, Operation>>; ajv: Ajv } | undefined;
const validators = new Map<string, ValidateFunction>();

/**
 * The spec the fake validates against: QDRANT_OPENAPI_SPEC, else the copy vendored in this
 * package (`fixtures/qdrant-openapi-1.19.json`; origin in `fixtures/README.md`).
 */
function specPath(): string {
  const fromEnv = process.env.QDRANT_OPENAPI_SPEC;
  if (fromEnv) return fromEnv;
  const vendored = fileURLToPath(new URL(`../../fixtures/${QDRANT_SPEC_FILE}`, import.meta.url));
  if (existsSync(vendored)) return vendored;
  throw new Error(`fake Qdrant: ${vendored} is missing; set QDRANT_OPENAPI_SPEC to the spec's path`);
}

// OpenAPI 3.0's `{nullable: true}` alone (no type) is how Qdrant spells "or null" in anyOf.
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (obj.nullable === true && obj.type === undefined && obj.$ref === undefined && !obj.anyOf && !obj.oneOf) {
    return { type: 'null' };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'example' || k === 'description') continue;
    out[k] = toJsonSchema(v);
  }
  return out;
}

function loadSpec() {
  if (specCache) return specCache;
  const raw = readFileSync(specPath());
  const sha = createHash('sha256').update(raw).digest('hex');
  if (sha !== QDRANT_SPEC_SHA256)
    throw new Error(`fake Qdrant: ${QDRANT_SPEC_FILE} has sha256 ${sha}, not the reference`);
  const doc = JSON.parse(raw.toString('utf8')) as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const uint = (n: number) => Number.isInteger(n) && n >= 0;
  for (const f of ['uint', 'uint8', 'uint32', 'uint64']) ajv.addFormat(f, { type: 'number', validate: uint });
  ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
  for (const f of ['float', 'double']) ajv.addFormat(f, { type: 'number', validate: Number.isFinite });
  // Qdrant parses ids with the uuid crate: hyphenated, simple, braced and urn forms.
  ajv.addFormat('uuid', /^(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i);
  for (const f of ['date-time', 'partial-date-time', 'uri', 'binary']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'qdrant', components: { schemas: toJsonSchema(doc.components.schemas) } });
  specCache = { paths: doc.paths, ajv };
  return specCache;
}

function validator(key: string, schema: unknown): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    const { ajv } = loadSpec();
    const rebased = JSON.parse(
      JSON.stringify(toJsonSchema(schema)).replaceAll('"#/components/', '"qdrant#/components/'),
    );
    v = ajv.compile(rebased as object);
    validators.set(key, v);
  }
  return v;
}

function operation(template: string, method: string): Operation {
  const op = loadSpec().paths[template]?.[method];
  if (!op) throw new Error(`fake Qdrant: no ${method.toUpperCase()} ${template} in the spec`);
  return op;
}

// Range checks are Qdrant's `validator` pass (422); type/shape errors are serde's (400).
// `minimum: 0` only encodes an unsigned type, which serde refuses.
const RANGE_KEYWORDS = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
]);
function isRangeError(e: ErrorObject): boolean {
  if (!RANGE_KEYWORDS.has(e.keyword)) return false;
  return !(e.keyword === 'minimum' && (e.params as { limit?: number }).limit === 0);
}

function describe(errors: ErrorObject[]): string {
  const meaningful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  return (meaningful.length ? meaningful : errors)
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
    .join('; ');
}

// ---------------------------------------------------------------------------------------
// Errors and envelope

class QdrantHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (name: string) => new QdrantHttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
const wrongInput = (message: string) => new QdrantHttpError(400, `Wrong input: ${message}`);
const unsupported = (what: string) => new QdrantHttpError(501, `fake Qdrant does not implement ${what}`);

// ---------------------------------------------------------------------------------------
// Points, vectors and filters

const UUID_ANY = /^(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** Qdrant's canonical form of a point id: lowercase hyphenated UUID, or the integer. */
function canonicalId(id: unknown): string | number {
  if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return id;
  if (typeof id === 'string') {
    const m = UUID_ANY.exec(id);
    if (m) return m.slice(1).join('-').toLowerCase();
  }
  throw new QdrantHttpError(
    400,
    `Format error in JSON body: value ${JSON.stringify(id)} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
  );
}

const keyOf = (id: string | number): PointKey => (typeof id === 'number' ? `n:${id}` : id);

function preprocess(distance: QdrantDistance, vector: number[]): number[] {
  if (distance !== 'Cosine') return vector.map(Math.fround);
  const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0));
  if (norm < 1.1920929e-7) return vector.map(Math.fround);
  return vector.map((v) => Math.fround(v / norm));
}

function score(distance: QdrantDistance, a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (distance === 'Euclid') s += (x - y) * (x - y);
    else if (distance === 'Manhattan') s += Math.abs(x - y);
    else s += x * y;
  }
  return Math.fround(distance === 'Euclid' ? Math.sqrt(s) : s);
}

const smallerIsBetter = (d: QdrantDistance) => d === 'Euclid' || d === 'Manhattan';

function payloadValues(payload: Record<string, Json>, key: string): Json[] {
  // Dotted keys walk nested objects; arrays match when any element matches.
  let current: Json[] = [payload];
  for (const part of key.split('.')) {
    const next: Json[] = [];
    for (const value of current) {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const child = (value as Record<string, Json>)[part];
        if (Array.isArray(child)) next.push(...child);
        else if (child !== undefined) next.push(child);
      }
    }
    current = next;
  }
  return current;
}

type Condition = Record<string, unknown>;

function asList(value: unknown): Condition[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Condition[];
}

function matchesCondition(point: StoredPoint, c: Condition): boolean {
  if ('has_id' in c) return (c.has_id as unknown[]).some((id) => keyOf(canonicalId(id)) === keyOf(point.id));
  if ('must' in c || 'should' in c || 'must_not' in c || 'min_should' in c) return matchesFilter(point, c);
  if ('has_vector' in c) {
    const name = c.has_vector as string;
    return name === '' || point.sparse.has(name);
  }
  if ('is_empty' in c) {
    const values = payloadValues(point.payload, (c.is_empty as { key: string }).key);
    return values.length === 0;
  }
  if ('is_null' in c) {
    const values = payloadValues(point.payload, (c.is_null as { key: string }).key);
    return values.some((v) => v === null);
  }
  if ('key' in c) {
    const values = payloadValues(point.payload, c.key as string);
    if (c.match) {
      const m = c.match as Record<string, unknown>;
      if ('value' in m) return values.some((v) => v === m.value);
      if ('any' in m) return values.some((v) => (m.any as unknown[]).includes(v));
      if ('except' in m) return !values.some((v) => (m.except as unknown[]).includes(v));
      throw unsupported(`match ${Object.keys(m).join(',')}`);
    }
    if (c.range) {
      const r = c.range as { gt?: number; gte?: number; lt?: number; lte?: number };
      return values.some(
        (v) =>
          typeof v === 'number' &&
          (r.gt == null || v > r.gt) &&
          (r.gte == null || v >= r.gte) &&
          (r.lt == null || v < r.lt) &&
          (r.lte == null || v <= r.lte),
      );
    }
    const other = Object.keys(c).filter((k) => k !== 'key' && c[k] != null);
    throw unsupported(`field condition ${other.join(',')}`);
  }
  throw unsupported(`condition ${Object.keys(c).join(',')}`);
}

function matchesFilter(point: StoredPoint, filter: Condition | null | undefined): boolean {
  if (!filter) return true;
  if (filter.min_should != null) throw unsupported('min_should');
  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);
  if (!must.every((c) => matchesCondition(point, c))) return false;
  if (should.length && !should.some((c) => matchesCondition(point, c))) return false;
  return !mustNot.some((c) => matchesCondition(point, c));
}

function selectPayload(payload: Record<string, Json>, selector: unknown): Record<string, Json> | undefined {
  if (selector === undefined || selector === null || selector === false) return undefined;
  if (selector === true) return payload;
  const pick = (keys: string[]) => Object.fromEntries(Object.entries(payload).filter(([k]) => keys.includes(k)));
  if (Array.isArray(selector)) return pick(selector as string[]);
  const s = selector as { include?: string[]; exclude?: string[] };
  if (s.include) return pick(s.include);
  if (s.exclude) return Object.fromEntries(Object.entries(payload).filter(([k]) => !s.exclude?.includes(k)));
  return payload;
}

// ---------------------------------------------------------------------------------------
// Server

export async function startFakeQdrant(t: Teardown | undefined, options: FakeQdrantOptions = {}): Promise<FakeQdrant> {
  loadSpec();
  const collections = new Map<string, FakeCollection>();
  const requests: FakeQdrantRequest[] = [];
  let outage: FakeQdrantOutage = false;
  let operationId = 0;

  function collection(name: string): FakeCollection {
    const c = collections.get(name);
    if (!c) throw notFound(name);
    return c;
  }

  function parseBody(raw: string, template: string, method: string): unknown {
    const op = operation(template, method);
    const schema = op.requestBody?.content['application/json'].schema;
    if (!schema) return undefined;
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : undefined;
    } catch (error) {
      throw new QdrantHttpError(400, `Format error in JSON body: ${(error as Error).message}`);
    }
    if (body === undefined)
      throw new QdrantHttpError(400, 'Format error in JSON body: EOF while parsing a value at line 1 column 0');
    const validate = validator(`${method} ${template} request`, schema);
    if (!validate(body)) {
      const errors = validate.errors ?? [];
      if (errors.some(isRangeError))
        throw new QdrantHttpError(422, `Validation error in JSON body: ${describe(errors)}`);
      throw new QdrantHttpError(400, `Format error in JSON body: ${describe(errors)}`);
    }
    return body;
  }

  function checkQuery(query: Record<string, string>): void {
    if (query.wait !== undefined && query.wait !== 'true' && query.wait !== 'false') {
      throw new QdrantHttpError(400, `Query deserialize error: invalid value for wait: ${query.wait}`);
    }
    if (query.timeout !== undefined && !/^[1-9]\d*$/.test(query.timeout)) {
      throw new QdrantHttpError(400, `Query deserialize error: invalid value for timeout: ${query.timeout}`);
    }
  }

  function updateResult(query: Record<string, string>) {
    return { operation_id: operationId++, status: query.wait === 'true' ? 'completed' : 'acknowledged' };
  }

  function collectionInfo(c: FakeCollection) {
    const payload_schema: Record<string, unknown> = {};
    for (const [field, schema] of c.payloadSchema) {
      const points = [...c.points.values()].filter((p) => payloadValues(p.payload, field).length > 0).length;
      const data_type = typeof schema === 'string' ? schema : (schema as { type: string }).type;
      payload_schema[field] = { data_type, ...(typeof schema === 'object' && { params: schema }), points };
    }
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: { size: c.size, distance: c.distance },
          ...(c.sparse.size > 0 && {
            sparse_vectors: Object.fromEntries(
              [...c.sparse].map(([name, p]) => [name, p.modifier === 'idf' ? { modifier: 'idf' } : {}]),
            ),
          }),
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 10000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
      },
      payload_schema,
    };
  }

  function readSparse(c: FakeCollection, name: string, vector: unknown): Map<number, number> {
    if (!c.sparse.has(name)) throw wrongInput(`Not existing vector name error: ${name}`);
    const v = vector as { indices?: unknown; values?: unknown };
    if (!v || !Array.isArray(v.indices) || !Array.isArray(v.values)) {
      throw wrongInput(`Conversion between sparse and regular vectors failed`);
    }
    if (v.indices.length !== v.values.length) {
      throw new QdrantHttpError(422, 'Validation error in JSON body: [values: must be the same length as indices]');
    }
    const out = new Map<number, number>();
    (v.indices as number[]).forEach((index, i) => {
      if (out.has(index)) {
        throw new QdrantHttpError(422, 'Validation error in JSON body: [indices: must be unique]');
      }
      out.set(index, Math.fround(v.values ? ((v.values as number[])[i] as number) : 0));
    });
    return out;
  }

  /** A point's vectors: the unnamed dense one (plain array, or named ""), plus named sparse ones. */
  function readPointVectors(
    c: FakeCollection,
    vector: unknown,
  ): { dense: number[]; sparse: Map<string, Map<number, number>> } {
    const sparse = new Map<string, Map<number, number>>();
    if (vector && typeof vector === 'object' && !Array.isArray(vector)) {
      const named = vector as Record<string, unknown>;
      for (const [name, value] of Object.entries(named)) {
        if (name === '') continue;
        sparse.set(name, readSparse(c, name, value));
      }
      if (!('' in named)) throw wrongInput('Not existing vector name error: ');
      return { dense: readVector(c, named['']), sparse };
    }
    return { dense: readVector(c, vector), sparse };
  }

  /** Sparse scores (dot product over shared indices; `idf` weighs each query index by Qdrant's BM25 IDF). */
  function sparseScores(c: FakeCollection, name: string, query: Map<number, number>, candidates: StoredPoint[]) {
    const params = c.sparse.get(name);
    if (!params) throw wrongInput(`Not existing vector name error: ${name}`);
    const weights = new Map(query);
    if (params.modifier === 'idf') {
      const holders = [...c.points.values()].filter((p) => p.sparse.has(name));
      const n = holders.length;
      for (const index of query.keys()) {
        const df = holders.filter((p) => p.sparse.get(name)?.has(index)).length;
        weights.set(index, (query.get(index) as number) * Math.log(1 + (n - df + 0.5) / (df + 0.5)));
      }
    }
    const out: { point: StoredPoint; score: number }[] = [];
    for (const point of candidates) {
      const v = point.sparse.get(name);
      if (!v) continue;
      let s = 0;
      let overlap = false;
      for (const [index, w] of weights) {
        const x = v.get(index);
        if (x !== undefined) {
          s += w * x;
          overlap = true;
        }
      }
      // Sparse search only finds points that share an index with the query.
      if (overlap) out.push({ point, score: Math.fround(s) });
    }
    return out.sort((a, b) => b.score - a.score);
  }

  function readVector(c: FakeCollection, vector: unknown): number[] {
    if (!Array.isArray(vector) || vector.some((v) => typeof v !== 'number')) {
      if (vector && typeof vector === 'object' && !Array.isArray(vector)) {
        const name = Object.keys(vector)[0] ?? '';
        throw wrongInput(`Not existing vector name error: ${name}`);
      }
      throw unsupported('multi-vectors, sparse vectors and inference inputs');
    }
    if (vector.length !== c.size)
      throw wrongInput(`Vector dimension error: expected dim: ${c.size}, got ${vector.length}`);
    return vector as number[];
  }

  // biome-ignore lint/suspicious/noExplicitAny: bodies were validated against the spec just before
  type Route = (name: string, body: any, query: Record<string, string>, params: string[]) => unknown;
  const routes: { method: string; pattern: RegExp; template: string; handle: Route }[] = [];
  const route = (method: string, template: string, handle: Route) => {
    const pattern = new RegExp(
      `^${template.replace('{collection_name}', '([^/]+)').replace('{vector_name}', '([^/]+)').replaceAll('/', '\\/')}$`,
    );
    routes.push({ method, pattern, template, handle });
  };

  route('get', '/collections', () => ({ collections: [...collections.keys()].map((name) => ({ name })) }));
  route('put', '/collections/{collection_name}', (name, body: { vectors?: unknown; sparse_vectors?: unknown }) => {
    if (name.length > 255 || FORBIDDEN_NAME.test(name)) {
      throw new QdrantHttpError(
        422,
        `Validation error in path parameters: [collection_name: Collection name cannot contain any of < > : " / \\ | ? * and must be 1 to 255 characters]`,
      );
    }
    if (collections.has(name)) throw new QdrantHttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = body.vectors as { size?: number; distance?: QdrantDistance } | undefined;
    if (!vectors || typeof vectors.size !== 'number')
      throw unsupported('collections without a single unnamed dense vector');
    collections.set(name, {
      size: vectors.size,
      distance: vectors.distance as QdrantDistance,
      points: new Map(),
      sparse: new Map(
        Object.entries((body.sparse_vectors ?? {}) as Record<string, { modifier?: string | null } | null>).map(
          ([sparseName, p]) => [sparseName, { modifier: p?.modifier === 'idf' ? 'idf' : 'none' }] as const,
        ),
      ),
      payloadSchema: new Map(),
      createdWith: body,
    });
    return true;
  });
  route('get', '/collections/{collection_name}', (name) => collectionInfo(collection(name)));
  route('delete', '/collections/{collection_name}', (name) => collections.delete(name));
  route('get', '/collections/{collection_name}/exists', (name) => ({ exists: collections.has(name) }));
  route(
    'put',
    '/collections/{collection_name}/index',
    (name, body: { field_name: string; field_schema?: unknown }, query) => {
      const c = collection(name);
      if (body.field_schema == null) throw unsupported('payload index creation without field_schema');
      c.payloadSchema.set(body.field_name, body.field_schema);
      return updateResult(query);
    },
  );
  route('put', '/collections/{collection_name}/points', (name, body, query) => {
    const c = collection(name);
    if (body.update_filter != null || (body.update_mode != null && body.update_mode !== 'upsert')) {
      throw unsupported('conditional upserts');
    }
    const incoming: { id: unknown; vector: unknown; payload?: Record<string, Json> | null }[] = body.points
      ? body.points
      : (body.batch.ids as unknown[]).map((id, i) => ({
          id,
          vector: Array.isArray(body.batch.vectors) ? body.batch.vectors[i] : undefined,
          payload: body.batch.payloads?.[i] ?? null,
        }));
    // Validate everything first: a refused request writes nothing.
    const prepared = incoming.map((p) => {
      const { dense, sparse } = readPointVectors(c, p.vector);
      return { id: canonicalId(p.id), vector: preprocess(c.distance, dense), sparse, payload: p.payload ?? {} };
    });
    const version = operationId;
    for (const p of prepared) c.points.set(keyOf(p.id), { ...p, version });
    return updateResult(query);
  });
  /** A point as Qdrant's Record: payload and vectors as `with_payload` / `with_vector` ask. */
  function recordOf(point: StoredPoint, withPayload: unknown, withVector: unknown) {
    const payload = selectPayload(point.payload, withPayload ?? true);
    const names: string[] | undefined =
      withVector === true ? ['', ...point.sparse.keys()] : Array.isArray(withVector) ? withVector : undefined;
    let vector: Record<string, unknown> | number[] | undefined;
    if (names) {
      const out: Record<string, unknown> = {};
      for (const name of names) {
        if (name === '') out[''] = point.vector;
        const sparse = point.sparse.get(name);
        if (sparse) out[name] = { indices: [...sparse.keys()], values: [...sparse.values()] };
      }
      // A collection with only the unnamed vector answers it as a plain array.
      vector = withVector === true && point.sparse.size === 0 ? point.vector : out;
    }
    return {
      id: point.id,
      ...(payload !== undefined && { payload }),
      ...(vector !== undefined && { vector }),
    };
  }
  // Retrieve by ids: the points that exist, in the order asked.
  route('post', '/collections/{collection_name}/points', (name, body) => {
    const c = collection(name);
    const out = [];
    for (const id of body.ids as unknown[]) {
      const point = c.points.get(keyOf(canonicalId(id)));
      if (point) out.push(recordOf(point, body.with_payload, body.with_vector));
    }
    return out;
  });
  // Scroll: points matching the filter in id order from `offset` (inclusive), and where the next page starts.
  route('post', '/collections/{collection_name}/points/scroll', (name, body) => {
    const c = collection(name);
    if (body.order_by != null) throw unsupported('scroll with order_by');
    const limit: number = body.limit ?? 10;
    const from = body.offset == null ? undefined : keyOf(canonicalId(body.offset));
    const sorted = [...c.points.entries()]
      .filter(([key, point]) => (from === undefined || key >= from) && matchesFilter(point, body.filter))
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const page = sorted.slice(0, limit);
    return {
      points: page.map(([, point]) => recordOf(point, body.with_payload, body.with_vector ?? false)),
      next_page_offset: sorted[limit]?.[1].id ?? null,
    };
  });
  // Update vectors: the named vectors given replace those of existing points; a missing point fails the request.
  route('put', '/collections/{collection_name}/points/vectors', (name, body, query) => {
    const c = collection(name);
    if (body.update_filter != null) throw unsupported('conditional vector updates');
    const prepared = (body.points as { id: unknown; vector: unknown }[]).map((p) => {
      const id = canonicalId(p.id);
      const point = c.points.get(keyOf(id));
      if (!point) throw new QdrantHttpError(404, `Not found: No point with id ${id} found`);
      const named = p.vector as Record<string, unknown>;
      if (!named || typeof named !== 'object' || Array.isArray(named)) {
        return { point, dense: preprocess(c.distance, readVector(c, named)), sparse: new Map() };
      }
      const sparse = new Map<string, Map<number, number>>();
      let dense: number[] | undefined;
      for (const [vectorName, value] of Object.entries(named)) {
        if (vectorName === '') dense = preprocess(c.distance, readVector(c, value));
        else sparse.set(vectorName, readSparse(c, vectorName, value));
      }
      return { point, dense, sparse };
    });
    const version = operationId;
    for (const { point, dense, sparse } of prepared) {
      if (dense) point.vector = dense;
      for (const [vectorName, value] of sparse) point.sparse.set(vectorName, value);
      point.version = version;
    }
    return updateResult(query);
  });
  // Create a named vector on an existing collection (Qdrant 1.19): only sparse ones here.
  route('put', '/collections/{collection_name}/vectors/{vector_name}', (name, body, query, [vectorName]) => {
    const c = collection(name);
    if (!vectorName) throw wrongInput('vector name is empty');
    if (!('sparse' in body)) throw unsupported('adding a dense named vector');
    if (c.sparse.has(vectorName) || vectorName === '') {
      throw wrongInput(`Vector with name ${vectorName} already exists`);
    }
    if (options.refuseVectorCreation) throw new QdrantHttpError(404, '');
    c.sparse.set(vectorName, { modifier: body.sparse?.modifier === 'idf' ? 'idf' : 'none' });
    return updateResult(query);
  });
  route('post', '/collections/{collection_name}/points/delete', (name, body, query) => {
    const c = collection(name);
    if (body.points) {
      for (const id of body.points as unknown[]) c.points.delete(keyOf(canonicalId(id)));
    } else {
      for (const [key, point] of c.points) if (matchesFilter(point, body.filter)) c.points.delete(key);
    }
    return updateResult(query);
  });
  route('post', '/collections/{collection_name}/points/count', (name, body) => {
    const c = collection(name);
    let count = 0;
    for (const point of c.points.values()) if (matchesFilter(point, body.filter)) count++;
    return { count };
  });
  /**
   * One query (the body or one of its prefetches): nearest by a dense vector, a point id or a
   * sparse vector (`using` its name), or fusion (`rrf`, k 2 unless given) of its prefetches.
   */
  // biome-ignore lint/suspicious/noExplicitAny: validated against the spec by the caller
  function runQuery(c: FakeCollection, body: any, outerFilter?: Condition): { point: StoredPoint; score: number }[] {
    for (const field of ['lookup_from', 'shard_key'] as const) {
      if (body[field] != null) throw unsupported(`query with ${field}`);
    }
    const filter = body.filter ?? outerFilter;
    const candidates = [...c.points.values()].filter((p) => matchesFilter(p, filter));
    const prefetched = asList(body.prefetch).map((p) => runQuery(c, p, undefined));
    const limit: number = body.limit ?? 10;
    let q: unknown = body.query;
    if (q && typeof q === 'object' && !Array.isArray(q)) {
      const o = q as Record<string, unknown>;
      if ('fusion' in o || 'rrf' in o) {
        if (o.fusion !== undefined && o.fusion !== 'rrf') throw unsupported(`fusion ${String(o.fusion)}`);
        const rrf = (o.rrf ?? {}) as { k?: number | null; weights?: number[] | null };
        if (rrf.weights != null) throw unsupported('weighted rrf');
        const k = rrf.k ?? 2;
        const fused = new Map<PointKey, { point: StoredPoint; score: number }>();
        for (const list of prefetched) {
          list.forEach(({ point }, pos) => {
            const key = keyOf(point.id);
            const entry = fused.get(key) ?? { point, score: 0 };
            entry.score += 1 / (pos + k);
            fused.set(key, entry);
          });
        }
        return [...fused.values()]
          .filter(({ point }) => matchesFilter(point, body.filter))
          .sort((a, b) => b.score - a.score)
          .filter(({ score: s }) => body.score_threshold == null || s > body.score_threshold)
          .map((x) => ({ point: x.point, score: Math.fround(x.score) }));
      }
      if ('nearest' in o && !(o as { mmr?: unknown }).mmr) q = o.nearest;
      else if (!('indices' in o)) throw unsupported(`query ${Object.keys(o).join(',')}`);
    }
    if (prefetched.length > 0) throw unsupported('re-scoring prefetches with a vector query');
    const using: string | undefined = body.using ?? undefined;
    if (q === undefined || q === null) {
      // No query: points ordered by id, no score (Qdrant answers score 0).
      return candidates
        .sort((a, b) => String(a.id).localeCompare(String(b.id)))
        .map((point) => ({ point, score: 0 }))
        .slice(0, limit + (body.offset ?? 0));
    }
    if (using !== undefined && using !== '') {
      const sparseQueryVector = readSparse(c, using, q);
      return sparseScores(c, using, sparseQueryVector, candidates)
        .filter(({ score: s }) => body.score_threshold == null || s > body.score_threshold)
        .slice(0, limit + (body.offset ?? 0));
    }
    let vector: number[];
    if (typeof q === 'string' || typeof q === 'number') {
      const id = canonicalId(q);
      const byId = c.points.get(keyOf(id));
      if (!byId) throw new QdrantHttpError(404, `Not found: No point with id ${id} found`);
      vector = byId.vector;
    } else {
      vector = preprocess(c.distance, readVector(c, q));
    }
    const lower = smallerIsBetter(c.distance);
    return candidates
      .map((point) => ({ point, score: score(c.distance, vector, point.vector) }))
      .filter(({ score: s }) =>
        body.score_threshold == null ? true : lower ? s < body.score_threshold : s > body.score_threshold,
      )
      .sort((a, b) => (lower ? a.score - b.score : b.score - a.score))
      .slice(0, limit + (body.offset ?? 0));
  }

  route('post', '/collections/{collection_name}/points/query', (name, body) => {
    const c = collection(name);
    const limit: number = body.limit ?? 10;
    const offset: number = body.offset ?? 0;
    const scored = runQuery(c, body);
    return {
      points: scored.slice(offset, offset + limit).map(({ point, score: s }) => {
        const payload = selectPayload(point.payload, body.with_payload ?? false);
        return {
          id: point.id,
          version: point.version,
          score: s ?? 0,
          ...(payload !== undefined && { payload }),
          ...(body.with_vector === true && { vector: point.vector }),
        };
      }),
    };
  });

  const version = options.version ?? '1.19.0';

  const fake = (await startFakeServer(t, (req: IncomingMessage & { body: string }, res: ServerResponse) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const path = url.pathname;
    const method = (req.method ?? 'GET').toLowerCase();
    const record: FakeQdrantRequest = { method: method.toUpperCase(), path, query, body: undefined, status: 0 };
    requests.push(record);
    try {
      record.body = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      record.body = req.body;
    }
    const text = (status: number, body: string) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    const json = (status: number, body: unknown) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const elapsed = () => (performance.now() - started) / 1000;

    if (outage === 'reset') {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (outage === 'unavailable') {
      return json(503, { status: { error: 'Service unavailable: fake outage' }, time: elapsed() });
    }
    if (options.apiKey && !WHITELIST.has(path)) {
      const header = req.headers['api-key'] ?? /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!header) return text(401, 'Must provide an API key or an Authorization bearer token');
      if (header !== options.apiKey) return text(401, 'Invalid API key or JWT');
    }
    if (method === 'get' && path === '/') {
      record.status = 200;
      return json(200, {
        title: 'qdrant - vector search engine',
        version,
        commit: '74f3e85b9473c62560006c043e13737ce6b48412',
      });
    }
    if (method === 'get' && (path === '/healthz' || path === '/livez')) return text(200, 'healthz check passed');
    if (method === 'get' && path === '/readyz') return text(200, 'all shards are ready');

    for (const r of routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      try {
        const name = decodeURIComponent(m[1] ?? '');
        checkQuery(query);
        const body = parseBody(req.body, r.template, r.method);
        const result = r.handle(
          name,
          body,
          query,
          m.slice(2).map((part) => decodeURIComponent(part)),
        );
        const envelope = { result, status: 'ok', time: elapsed() };
        const schema = operation(r.template, r.method).responses['200']?.content?.['application/json']?.schema;
        if (schema) {
          const check = validator(`${r.method} ${r.template} response`, schema);
          if (!check(envelope)) {
            throw new Error(`fake Qdrant produced a response its spec forbids: ${describe(check.errors ?? [])}`);
          }
        }
        return json(200, envelope);
      } catch (error) {
        if (error instanceof QdrantHttpError)
          return json(error.status, { status: { error: error.message }, time: elapsed() });
        return json(500, { status: { error: `Service internal error: ${(error as Error).message}` }, time: elapsed() });
      }
    }
    return text(404, '');
  })) as FakeQdrant;

  fake.requests = requests;
  fake.collections = collections;
  fake.setOutage = (mode) => {
    outage = mode;
  };
  return fake;
}
