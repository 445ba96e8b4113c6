/** Builds the ingestion-worker app for one test against real Postgres and NATS. */
import type { LlmRouter } from '@lumikb/llm';
import type { ServiceTokenSource } from '@lumikb/service-kit';
import { createTestPlatform, serviceToken, type Teardown, type TestPlatform, testLogger } from '@lumikb/test-kit';
import type { VectorStore } from '@lumikb/vector-store';
import { buildApp, connect, type Deps, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import type { ProcessorHooks } from '../src/jobs/processor.ts';
import type { KbClient } from '../src/kb-client.ts';

export const WORKER_SCHEMA = { schema: SCHEMA, migrations };
export const WORKER_STREAMS = STREAMS_USED;
export const TEST_SERVICE_SECRET = 'test-service-client-secret-0123456789abcdef';

export interface WorkerBuildOptions {
  platform?: TestPlatform;
  llm?: LlmRouter;
  kb?: KbClient;
  serviceToken?: ServiceTokenSource;
  hooks?: ProcessorHooks;
  /** Wraps the worker's vector store (e.g. to write points as an older worker did). */
  vectors?: (store: VectorStore) => VectorStore;
}

/**
 * A service token reused for a minute, as the production token source caches its token
 * until shortly before it expires (signing one per call would weigh on the benchmarks).
 */
function cachedServiceToken(platform: TestPlatform): ServiceTokenSource {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = { token: await serviceToken(platform.keys, 'ingestion-worker'), at: Date.now() };
    }
    return cached.token;
  };
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}, options: WorkerBuildOptions = {}) {
  const platform =
    options.platform ?? (await createTestPlatform(t, { schemas: [WORKER_SCHEMA], streams: STREAMS_USED }));
  const config = readConfig({ SERVICE_CLIENT_SECRET: TEST_SERVICE_SECRET, ...platform.env, ...env });
  const connected = await connect(config, { runMigrations: false });
  const deps: Deps = {
    ...connected,
    logger: testLogger('ingestion-worker'),
    serviceToken: options.serviceToken ?? cachedServiceToken(platform),
    ...(options.llm ? { llm: options.llm } : {}),
    ...(options.kb ? { kb: options.kb } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.vectors ? { vectors: options.vectors(connected.vectors) } : {}),
  };
  t.teardown(async () => {
    await deps.vectors.close().catch(() => {});
    await deps.bus.close();
    await deps.db.close();
  });
  const app = await buildApp(config, deps);
  t.teardown(() => app.close());
  await app.ready();
  return { app, config, deps, platform, ...platform };
}
