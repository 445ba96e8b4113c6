/** Small factories and helpers shared by the registry's tests. */
import { randomUUID } from 'node:crypto';
import { type EventDefinition, type EventEnvelope, type KbSummary, SYSTEM_ACTOR } from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import type { ServiceApp } from '@lumikb/service-kit';
import type { Static } from 'typebox';
import type { buildTestApp } from './helper.ts';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

export interface Call {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
}

/** Calls the app as the holder of `token`. */
export function client(app: ServiceApp, token: string) {
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<Call> => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: response.statusCode, body: response.body ? response.json() : undefined };
  };
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload?: unknown) => call('POST', url, payload ?? {}),
    put: (url: string, payload: unknown) => call('PUT', url, payload),
    delete: (url: string) => call('DELETE', url),
  };
}

export type Client = ReturnType<typeof client>;

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter}-${randomUUID().slice(0, 6)}`;

export const ollamaEmbedding = (overrides: Record<string, unknown> = {}) => ({
  type: 'embedding',
  provider: 'ollama',
  name: unique('Nomic'),
  model_id: 'nomic-embed-text',
  api_endpoint: 'http://127.0.0.1:11434',
  config: { dimensions: 768, max_tokens: 8192 },
  ...overrides,
});

export const openaiGeneration = (overrides: Record<string, unknown> = {}) => ({
  type: 'generation',
  provider: 'openai',
  name: unique('GPT'),
  model_id: 'gpt-4o-mini',
  api_key: 'sk-test-0123456789abcdef',
  config: { context_window: 128000, max_output_tokens: 4096 },
  ...overrides,
});

export const openaiEmbedding = (overrides: Record<string, unknown> = {}) => ({
  type: 'embedding',
  provider: 'openai',
  name: unique('OpenAI small'),
  model_id: 'text-embedding-3-small',
  api_key: 'sk-test-0123456789abcdef',
  config: { dimensions: 1536, max_tokens: 8191 },
  ...overrides,
});

/** Creates a model through the API and returns its body (fails the test loudly otherwise). */
export async function createModel(api: Client, body: Record<string, unknown>) {
  const created = await api.post('/api/v1/admin/models', body);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** The envelopes of `type` the service wrote to its outbox, oldest first. */
export async function outboxEvents(test: TestApp, type: string): Promise<EventEnvelope[]> {
  const rows = await test.deps.db.db
    .selectFrom('outbox')
    .select(['payload'])
    .where('subject', '=', type)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.payload as EventEnvelope);
}

/** Publishes an event as another service would (envelope with a fresh id). */
export async function publishEvent<E extends EventDefinition>(
  bus: EventBus,
  def: E,
  data: Static<E['data']>,
  // msgId: JetStream's de-duplication key; defaults to the event id (as the outbox relay
  // does). A test that needs a redelivery to reach the consumer gives it another msgId.
  options: { id?: string; occurredAt?: Date; msgId?: string } = {},
): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: options.id ?? randomUUID(),
    type: def.type,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    actor: SYSTEM_ACTOR,
    data,
  };
  await bus.publish(def.type, Buffer.from(JSON.stringify(envelope)), options.msgId ?? envelope.id);
  return envelope;
}

export function kbSummary(
  overrides: Partial<KbSummary> & Pick<KbSummary, 'embedding_model_id' | 'generation_model_id'>,
) {
  return {
    id: randomUUID(),
    name: unique('KB'),
    dimensions: 768,
    distance_metric: 'cosine' as const,
    document_count: 0,
    ...overrides,
  };
}
