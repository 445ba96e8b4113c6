/** Builds the registry app for one test against real Postgres and NATS. */
import { randomBytes } from 'node:crypto';
import { createTestPlatform, type Teardown, type TestPlatform, testLogger } from '@lumikb/test-kit';
import { buildApp, connect, type Deps, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';

/** A fresh `ENCRYPTION_KEYS` value with one key (or several, first is current). */
export function encryptionKeys(...ids: string[]): string {
  return (ids.length > 0 ? ids : ['k1']).map((id) => `${id}:${randomBytes(32).toString('base64')}`).join(',');
}

export const REGISTRY_SCHEMA = { schema: SCHEMA, migrations };
export const REGISTRY_STREAMS = STREAMS_USED;

export async function buildTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  extra: Pick<Deps, 'tester'> & {
    /** Share another app's database and bus (it must include REGISTRY_SCHEMA and REGISTRY_STREAMS). */
    platform?: TestPlatform;
  } = {},
) {
  const { platform: shared, ...given } = extra;
  const platform = shared ?? (await createTestPlatform(t, { schemas: [REGISTRY_SCHEMA], streams: STREAMS_USED }));
  const config = readConfig({
    ENCRYPTION_KEYS: encryptionKeys(),
    // The fake providers listen on 127.0.0.1: allowed the way an admin allows a LAN host.
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    ...platform.env,
    ...env,
  });
  const deps = await connect(config, { runMigrations: false });
  t.teardown(async () => {
    await deps.bus.close();
    await deps.db.close();
  });
  const app = await buildApp(config, { ...deps, ...given, logger: testLogger('registry') });
  t.teardown(() => app.close());
  await app.ready();
  return { app, config, deps, ...platform };
}
