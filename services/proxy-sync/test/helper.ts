/** Builds the proxy-sync app for one test against real Postgres and NATS. */
import { createTestPlatform, type Teardown, testLogger } from '@lumikb/test-kit';
import { buildApp, connect, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}) {
  const platform = await createTestPlatform(t, { schemas: [{ schema: SCHEMA, migrations }], streams: STREAMS_USED });
  const config = readConfig({ ...platform.env, ...env });
  const deps = await connect(config, { runMigrations: false });
  t.teardown(async () => {
    await deps.bus.close();
    await deps.db.close();
  });
  const app = await buildApp(config, { ...deps, logger: testLogger('proxy-sync') });
  t.teardown(() => app.close());
  await app.ready();
  return { app, config, deps, ...platform };
}
