/**
 * Everything a service test needs in one call: a migrated database of its own, its own
 * NATS prefix (with a bus to observe events), signing keys and tokens per level, and
 * the environment to feed the service's config parser.
 */
import type { StreamDefinition } from '@lumikb/contracts';
import type { MigrationSet } from '@lumikb/db';
import type { EventBus } from '@lumikb/events';
import { createTestBus } from './bus.ts';
import { createTestDatabase, type Teardown, type TestDatabase } from './database.ts';
import { generateSigningKeys, type KeyPair, serviceToken, userToken } from './tokens.ts';

let keys: KeyPair | undefined;
/** One key pair per test process (generation is cheap, but tokens must agree). */
export function testKeys(): KeyPair {
  keys ??= generateSigningKeys();
  return keys;
}

export interface TestPlatform {
  env: Record<string, string>;
  database: TestDatabase;
  bus: EventBus;
  prefix: string;
  keys: KeyPair;
  tokens: { user: string; operator: string; admin: string; service: (name: string) => string };
}

export async function createTestPlatform(
  t: Teardown,
  options: { schemas: { schema: string; migrations: MigrationSet }[]; streams: readonly StreamDefinition[] },
): Promise<TestPlatform> {
  const database = await createTestDatabase(t, options.schemas);
  const { bus, natsUrl, prefix } = await createTestBus(t, { streams: options.streams });
  const k = testKeys();
  return {
    env: {
      DATABASE_URL: database.url,
      NATS_URL: natsUrl,
      NATS_PREFIX: prefix,
      JWT_PUBLIC_KEY: k.publicKey,
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
    },
    database,
    bus,
    prefix,
    keys: k,
    tokens: {
      user: userToken(k, 1),
      operator: userToken(k, 2),
      admin: userToken(k, 3),
      service: (name) => serviceToken(k, name),
    },
  };
}
