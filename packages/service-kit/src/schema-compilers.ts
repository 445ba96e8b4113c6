/**
 * Fastify's own schema compilers (the same packages and versions fastify uses by default),
 * shared by every app of one process, so a route schema is compiled once per process rather
 * than once per app instance.
 *
 * Why: a service app compiles a validator (Ajv) and a serializer (fast-json-stringify) for
 * each of its routes, ≈ 0.2–0.5 s of CPU per app; a test file builds a fresh app per test,
 * so up to a quarter of such a file's CPU went into compiling the same schema objects again.
 * A service process builds one app: there nothing changes but where the cache lives.
 *
 * - Validators: one `@fastify/ajv-compiler` selector for the process. It already pools one
 *   Ajv instance per (external schemas, Ajv options), and Ajv caches each compiled schema by
 *   the schema object, so a second app with the same route schemas gets the same functions.
 * - Serializers: fast-json-stringify has no cache; the compiled function is a pure function
 *   of (schema object, options), memoised here per schema object when the app has no shared
 *   (`addSchema`) schemas.
 *
 * Passing compilers marks them as "custom" to fastify, which then leaves header schemas as
 * they are instead of lower-casing their property names: header schemas must name headers
 * in lower case (checked here, at start-up).
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type RouteSchema = { schema: unknown; method?: string; url?: string; httpPart?: string; httpStatus?: string };
type Compile = (route: RouteSchema) => unknown;

const validatorSelector = AjvCompiler() as unknown as (externalSchemas: unknown, options: unknown) => Compile;
const serializerSelector = SerializerSelector() as unknown as (externalSchemas: unknown, options: unknown) => Compile;

function checkHeaderNames(route: RouteSchema): void {
  if (route.httpPart !== 'headers') return;
  const properties = (route.schema as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  const upper = Object.keys(properties).filter((name) => name !== name.toLowerCase());
  if (upper.length > 0) {
    throw new Error(
      `header schema of ${route.method} ${route.url} must name headers in lower case: ${upper.join(', ')}`,
    );
  }
}

function buildValidator(externalSchemas: unknown, options: unknown): Compile {
  const compile = validatorSelector(externalSchemas, options);
  return (route) => {
    checkHeaderNames(route);
    return compile(route);
  };
}

/** options key -> schema object -> serializer */
const serializers = new Map<string, WeakMap<object, unknown>>();

function buildSerializer(externalSchemas: unknown, options: unknown): Compile {
  const compile = serializerSelector(externalSchemas, options);
  const shared = externalSchemas && typeof externalSchemas === 'object' && Object.keys(externalSchemas).length > 0;
  if (shared) return compile;
  const key = JSON.stringify(options ?? {});
  const bySchema = serializers.get(key) ?? new WeakMap<object, unknown>();
  serializers.set(key, bySchema);
  return (route) => {
    const schema = route.schema;
    if (!schema || typeof schema !== 'object') return compile(route);
    if (!bySchema.has(schema)) bySchema.set(schema, compile(route));
    return bySchema.get(schema);
  };
}

/** For fastify's `schemaController` option. */
export const sharedSchemaCompilers = {
  compilersFactory: { buildValidator, buildSerializer },
} as unknown as NonNullable<FastifyServerOptions['schemaController']>;
