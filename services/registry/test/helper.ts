/** Builds the registry app for one test against real Postgres and NATS. */
import { randomBytes } from 'node:crypto';
import { buildTestService } from '@lumikb/service-kit/testing';
import type { Teardown, TestPlatform } from '@lumikb/test-kit';
import { type Deps, service } from '../src/app.ts';

/** A fresh `ENCRYPTION_KEYS` value with one key (or several, first is current). */
export function encryptionKeys(...ids: string[]): string {
  return (ids.length > 0 ? ids : ['k1']).map((id) => `${id}:${randomBytes(32).toString('base64')}`).join(',');
}

export const REGISTRY_SCHEMA = { schema: service.schema, migrations: service.migrations };
export const REGISTRY_STREAMS = service.streams;

export async function buildTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  extra: Pick<Deps, 'tester'> & {
    /** Share another app's database and bus (it must include REGISTRY_SCHEMA and REGISTRY_STREAMS). */
    platform?: TestPlatform;
  } = {},
) {
  const { platform, ...given } = extra;
  const built = await buildTestService(t, service, {
    defaults: {
      ENCRYPTION_KEYS: encryptionKeys(),
      // The fake providers listen on 127.0.0.1: allowed the way an admin allows a LAN host.
      OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    },
    env,
    deps: given,
    ...(platform ? { platform } : {}),
  });
  const { app, config, deps } = built;
  return { app, config, deps, ...built.platform };
}
