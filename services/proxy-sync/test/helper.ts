/** Builds the proxy-sync app for one test against real Postgres and NATS. */
import { randomUUID, verify } from 'node:crypto';
import {
  type EventDefinition,
  type EventEnvelope,
  INTERNAL_REGISTRY_PATHS,
  ModelCredentialsListSchema,
  ModelCredentialsSchema,
  type ModelView,
  type Provider,
} from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import type { ServiceTokenSource } from '@lumikb/service-kit';
import { buildTestService } from '@lumikb/service-kit/testing';
import {
  type createTestPlatform,
  type FakeServer,
  sendJson,
  serviceToken,
  startFakeServer,
  type Teardown,
} from '@lumikb/test-kit';
import pino, { type Logger } from 'pino';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { service } from '../src/app.ts';

export interface BuildOptions {
  serviceToken?: ServiceTokenSource;
  logger?: Logger;
  /** Reuse a platform (database, bus) from an earlier build: a restart. */
  platform?: Awaited<ReturnType<typeof createTestPlatform>>;
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, options: BuildOptions = {}) {
  return buildTestService(t, service, {
    env,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
    deps: (platform) => ({
      serviceToken: options.serviceToken ?? (async () => serviceToken(platform.keys, 'proxy-sync')),
    }),
  });
}

/** ModelView with a usable provider type (the contract's provider union collapses to never). */
export type ModelOver = Omit<Partial<ModelView>, 'provider'> & { provider?: Provider };

/** A model view as the registry publishes it. */
export function modelView(over: ModelOver = {}): ModelView {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    type: 'generation',
    provider: 'openai' as ModelView['provider'],
    name: 'A model',
    model_id: 'gpt-4o-mini',
    api_endpoint: null,
    config: {},
    status: 'active',
    is_default: false,
    has_api_key: true,
    created_at: now,
    updated_at: now,
    ...over,
  } as ModelView;
}

/** Publishes an event the way the registry's outbox relay would. */
export async function publish<E extends EventDefinition>(
  bus: EventBus,
  def: E,
  data: unknown,
  occurredAt = new Date().toISOString(),
): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: randomUUID(),
    type: def.type,
    occurredAt,
    actor: { type: 'user', id: randomUUID(), email: 'admin@company.local' },
    data,
  };
  await bus.publish(def.type, Buffer.from(JSON.stringify(envelope)), envelope.id);
  return envelope;
}

/** Every event published under `pattern` (e.g. `model.>`), as received. */
export function recordEvents(t: Teardown, bus: EventBus, pattern: string): EventEnvelope[] {
  const seen: EventEnvelope[] = [];
  const sub = bus.nc.subscribe(bus.subject(pattern));
  void (async () => {
    for await (const msg of sub) seen.push(JSON.parse(msg.string()) as EventEnvelope);
  })();
  t.teardown(() => sub.unsubscribe());
  return seen;
}

/** A logger that keeps every line (debug and up) for assertions. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', base: { service: 'proxy-sync' } },
    { write: (line: string) => lines.push(line) },
  );
  return { logger, lines };
}

export interface FakeRegistry extends FakeServer {
  models: Map<string, ModelView & { api_key: string | null }>;
  /** Each call with the service name of a valid service token (undefined: none or invalid). */
  calls: { path: string; service: string | undefined }[];
  /** While set, every call answers this status. */
  failing: number | undefined;
}

/** The service name of a valid service token signed by `publicKey`, else undefined. */
function serviceOf(authorization: string | undefined, publicKey: string): string | undefined {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const [header, payload, signature] = token?.split('.') ?? [];
  if (!header || !payload || !signature) return undefined;
  const ok = verify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
  if (!ok) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    typ?: string;
    svc?: string;
    exp?: number;
  };
  if (claims.typ !== 'service' || (claims.exp ?? 0) * 1000 < Date.now()) return undefined;
  return claims.svc;
}

/** The registry's internal credentials API, for service identities only. */
export async function startFakeRegistry(t: Teardown, publicKey: string): Promise<FakeRegistry> {
  const models = new Map<string, ModelView & { api_key: string | null }>();
  const calls: FakeRegistry['calls'] = [];
  const state: { failing: number | undefined } = { failing: undefined };
  const fake = await startFakeServer(t, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const service = serviceOf(req.headers.authorization, publicKey);
    calls.push({ path, service });
    if (state.failing) return sendJson(res, state.failing, { code: 'INTERNAL_ERROR', message: 'registry failing' });
    if (!service) return sendJson(res, 401, { code: 'UNAUTHENTICATED', message: 'Sign in required' });
    // The fake answers only what the registry's own contract allows, so a test model the
    // real registry could never send shows up here instead of as a puzzling sync failure.
    if (path === INTERNAL_REGISTRY_PATHS.models)
      return sendJson(res, 200, inContract(ModelCredentialsListSchema, { items: [...models.values()] }));
    const match = /^\/internal\/models\/([^/]+)\/credentials$/.exec(path);
    if (match) {
      const model = models.get(match[1] as string);
      if (!model) return sendJson(res, 404, { code: 'MODEL_NOT_FOUND', message: `Model ${match[1]} not found` });
      return sendJson(res, 200, inContract(ModelCredentialsSchema, model));
    }
    return sendJson(res, 404, { code: 'ROUTE_NOT_FOUND', message: `Route GET ${path} not found` });
  });
  const registry = Object.assign(fake, { models, calls, failing: undefined as number | undefined });
  Object.defineProperty(registry, 'failing', {
    get: () => state.failing,
    set: (value: number | undefined) => {
      state.failing = value;
    },
  });
  return registry;
}

function inContract<S extends TSchema>(schema: S, body: unknown): unknown {
  if (Value.Check(schema, body)) return body;
  const first = [...Value.Errors(schema, body)][0];
  throw new Error(`fake registry: test data outside the internal contract (${first?.instancePath} ${first?.message})`);
}
