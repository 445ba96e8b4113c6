/**
 * The test helper every service's test/helper.ts is built on (as fastify/demo's `build(t)`):
 * a database and NATS prefix of the test's own, the service connected and built from its
 * descriptor, closed when the test ends. Tests then talk to it with `app.inject`.
 */
import type { StreamDefinition } from '@lumikb/contracts';
import type { MigrationSet } from '@lumikb/db';
import { createTestPlatform, type Teardown, type TestPlatform, testLogger } from '@lumikb/test-kit';
import type { Logger } from 'pino';
import type { PlatformDeps } from './platform.ts';
import type { Service, ServiceConfig } from './service.ts';

type OrFromPlatform<T> = T | ((platform: TestPlatform) => T);

export interface TestBuildOptions<D> {
  /** Variables before the platform's (DATABASE_URL, NATS_URL, …); e.g. required secrets. */
  defaults?: OrFromPlatform<Record<string, string>>;
  /** Variables after the platform's: the test's own. */
  env?: Record<string, string>;
  /** Dependencies that replace the service's own (a fake clock, a fixed settings source, …). */
  deps?: OrFromPlatform<Partial<D>>;
  logger?: Logger;
  /** Reuse another app's database and bus (a second replica, a restart, a neighbour service). */
  platform?: TestPlatform;
  /** Extra schemas in the test database (a neighbour service's), when creating a new platform. */
  extraSchemas?: { schema: string; migrations: MigrationSet }[];
  extraStreams?: readonly StreamDefinition[];
}

/** The platform (database with the service's schema, bus with its streams) for one test. */
export function createServicePlatform(
  t: Teardown,
  service: Pick<Service<ServiceConfig, unknown, PlatformDeps<unknown>>, 'schema' | 'migrations' | 'streams'>,
  options: Pick<TestBuildOptions<unknown>, 'extraSchemas' | 'extraStreams'> = {},
): Promise<TestPlatform> {
  return createTestPlatform(t, {
    schemas: [{ schema: service.schema, migrations: service.migrations }, ...(options.extraSchemas ?? [])],
    streams: [...service.streams, ...(options.extraStreams ?? [])],
  });
}

const resolve = <T>(value: OrFromPlatform<T> | undefined, platform: TestPlatform): T | undefined =>
  typeof value === 'function' ? (value as (p: TestPlatform) => T)(platform) : value;

/** Builds `service` for one test, ready; everything it opened is closed at teardown. */
export async function buildTestService<C extends ServiceConfig, DB, D extends PlatformDeps<DB>>(
  t: Teardown,
  service: Service<C, DB, D>,
  options: TestBuildOptions<D> = {},
) {
  const platform = options.platform ?? (await createServicePlatform(t, service, options));
  const config = service.readConfig({ ...resolve(options.defaults, platform), ...platform.env, ...options.env });
  const connected = await service.connect(config, { runMigrations: false });
  const deps: D & { logger: Logger } = {
    ...connected,
    logger: options.logger ?? testLogger(service.name),
    ...resolve(options.deps, platform),
  };
  t.teardown(() => service.disconnect(deps));
  const app = await service.buildApp(config, deps);
  t.teardown(() => app.close());
  await app.ready();
  return { app, config, deps, platform, ...platform };
}
