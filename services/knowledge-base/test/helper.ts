/** Builds the knowledge-base app for one test against real Postgres and NATS. */
import { randomUUID } from 'node:crypto';
import { type ModelView, STREAMS, type StreamDefinition } from '@lumikb/contracts';
import type { MigrationSet } from '@lumikb/db';
import type { EventBus } from '@lumikb/events';
import type { LlmRouter, LlmRouterOptions } from '@lumikb/llm';
import { buildTestService, createServicePlatform } from '@lumikb/service-kit/testing';
import { type Teardown, type TestPlatform, waitFor } from '@lumikb/test-kit';
import { type Deps, service } from '../src/app.ts';
import type { SettingsSource } from '../src/settings.ts';

export interface BuildOptions {
  llm?: LlmRouter | ((options: LlmRouterOptions) => LlmRouter);
  settings?: SettingsSource;
  clock?: () => Date;
  /** Reuse another app's database and bus (a second instance, or next to the worker). */
  platform?: TestPlatform;
  /** Extra schemas in the test database (e.g. the worker's), when creating a new platform. */
  extraSchemas?: { schema: string; migrations: MigrationSet }[];
  extraStreams?: readonly StreamDefinition[];
}

export async function createKbPlatform(t: Teardown, options: BuildOptions = {}) {
  return createServicePlatform(t, service, options);
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, options: BuildOptions = {}) {
  const built = await buildTestService(t, service, {
    env,
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.extraSchemas ? { extraSchemas: options.extraSchemas } : {}),
    ...(options.extraStreams ? { extraStreams: options.extraStreams } : {}),
    deps: {
      ...(options.llm ? { llm: options.llm } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    },
  });
  return { ...built, platform: built.platform };
}

/** A registry model view, as model.* events carry it. */
export function modelView(overrides: Partial<ModelView> & Pick<ModelView, 'type'>): ModelView {
  const now = new Date().toISOString();
  const embedding = overrides.type === 'embedding';
  return {
    id: randomUUID(),
    provider: 'local' as ModelView['provider'],
    name: embedding ? 'Local hash embedder' : 'Local extractive answerer',
    model_id: embedding ? 'lumikb-hash-embed-v1' : 'lumikb-extractive-v1',
    api_endpoint: null,
    config: embedding
      ? { dimensions: 384, max_tokens: 8192, normalize: true, distance_metric: 'cosine', batch_size: 64 }
      : { context_window: 8192, max_output_tokens: 1024 },
    status: 'active',
    is_default: false,
    has_api_key: false,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

/** Publishes an event the way another service's outbox relay does. */
export async function publishEvent(bus: EventBus, type: string, data: unknown): Promise<string> {
  const id = randomUUID();
  const envelope = {
    id,
    type,
    occurredAt: new Date().toISOString(),
    actor: { type: 'system', id: 'registry-test' },
    data,
  };
  await bus.publish(type, Buffer.from(JSON.stringify(envelope)), id);
  return id;
}

/** Registers a model through the bus and waits until the KB service's projection has it. */
export async function registerModel(built: { bus: EventBus; deps: Deps }, view: ModelView): Promise<ModelView> {
  await publishEvent(built.bus, 'model.created', { model: view });
  await waitFor(
    async () =>
      (await built.deps.db.db
        .selectFrom('models')
        .select('id')
        .where('id', '=', view.id)
        .where('source_updated_at', '>=', new Date(view.updated_at))
        .executeTakeFirst()) ?? false,
    { what: `model ${view.name} projected` },
  );
  return view;
}

/** The built-in local models, registered as the defaults (as the registry does on first start). */
export async function seedDefaultModels(built: Awaited<ReturnType<typeof buildTestApp>>) {
  const embedding = await registerModel(built, modelView({ type: 'embedding', is_default: true }));
  const generation = await registerModel(built, modelView({ type: 'generation', is_default: true }));
  return { embedding, generation };
}

export const MODEL_STREAM = STREAMS.MODELS;

export function auth(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** A multipart/form-data body with one file field. */
export function multipart(filename: string, content: Buffer | string, field = 'file') {
  const boundary = `----lumikb${randomUUID().replaceAll('-', '')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, Buffer.isBuffer(content) ? content : Buffer.from(content), tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** The stuck-document sweep and its queue probe, for tests that drive them over a real queue. */
export { sweepStuckDocuments } from '../src/documents/sweep.ts';
export { queueProbe } from '../src/queue/service.ts';
