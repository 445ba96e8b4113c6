/**
 * Assembly shared by the services that own a schema: connect Postgres (migrated) and
 * NATS with clear failures, then build the kit app with their readiness checks, the
 * outbox relay, and release of every resource on close.
 */
import type { StreamDefinition } from '@lumikb/contracts';
import { createDatabase, type DatabaseHandle, type MigrationSet, migrateToLatest } from '@lumikb/db';
import { EventBus, OutboxRelay } from '@lumikb/events';
import type { Logger } from 'pino';
import { createServiceApp, type ServiceApp } from './app.ts';
import { pemFromEnv, trustedProxies } from './config.ts';
import type { NotFoundFallback } from './error-handler.ts';
import type { ReadinessCheck } from './readiness.ts';
import { RevocationFollower } from './revocations.ts';

export interface InfraConfig {
  DATABASE_URL: string;
  NATS_URL: string;
  NATS_PREFIX: string;
}

export interface PlatformDeps<DB> {
  db: DatabaseHandle<DB>;
  bus: EventBus;
}

export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Connects to Postgres (running the service's migrations) and NATS, or explains why not. */
export async function connectPlatform<DB>(options: {
  service: string;
  schema: string;
  migrations: MigrationSet;
  streams: readonly StreamDefinition[];
  config: InfraConfig;
  runMigrations?: boolean;
}): Promise<PlatformDeps<DB>> {
  const { config } = options;
  const where = safeUrl(config.DATABASE_URL);
  try {
    if (options.runMigrations !== false) await migrateToLatest(config.DATABASE_URL, options.schema, options.migrations);
  } catch (error) {
    throw new DependencyError(
      `cannot prepare Postgres schema "${options.schema}" at ${where}: ${describe(error)}. ` +
        'Is PostgreSQL running and does the database exist? (`pnpm start` creates it; or set DATABASE_URL)',
    );
  }
  const db = createDatabase<DB>({
    connectionString: config.DATABASE_URL,
    schema: options.schema,
    applicationName: `lumikb-${options.service}`,
  });
  let bus: EventBus;
  try {
    bus = await EventBus.connect({ url: config.NATS_URL, name: options.service, prefix: config.NATS_PREFIX });
    await bus.ensureStreams(options.streams);
  } catch (error) {
    await db.close();
    throw new DependencyError(
      `cannot reach NATS JetStream at ${config.NATS_URL}: ${describe(error)}. ` +
        'Is nats-server running with -js? (see README, "Postgres and NATS")',
    );
  }
  return { db, bus };
}

export interface PlatformAppOptions<DB> {
  service: string;
  description: string;
  config: { LOG_LEVEL: string; JWT_PUBLIC_KEY: string; TRUSTED_PROXIES?: string };
  deps: PlatformDeps<DB>;
  logger?: Logger;
  bodyLimit?: number;
  extraReadiness?: () => ReadinessCheck[];
  /** The public entry point's app (the gateway) instead of a domain service's: see EdgeAppOptions. */
  edge?: EdgeAppOptions;
}

/**
 * How the public entry point (the gateway) differs from a domain service: its own routes
 * are public unless marked and request bodies pass through unparsed (each upstream
 * checks and parses its own); it records no events and checks no user itself, so it
 * relays no outbox and follows no revocations; and /ready stays up without Postgres (the
 * rate limits fail open).
 */
export interface EdgeAppOptions {
  /** Rewrites the OpenAPI document at /docs/json (the gateway merges its upstreams'). */
  transformOpenApi?: (spec: Record<string, unknown>) => Record<string, unknown>;
  /** Answers what no route matched before the 404 (the SPA's pages). */
  notFoundFallback?: NotFoundFallback;
}

export interface PlatformApp<DB> {
  app: ServiceApp;
  /** None at the edge (the gateway records no events). */
  relay: OutboxRelay | undefined;
  deps: PlatformDeps<DB>;
}

export async function createPlatformApp<DB>(options: PlatformAppOptions<DB>): Promise<PlatformApp<DB>> {
  const { db, bus } = options.deps;
  const { edge } = options;
  // Caught up with recent revocations before the first request is served.
  const revocations = edge
    ? undefined
    : await RevocationFollower.start({ bus, ...(options.logger ? { logger: options.logger } : {}) });
  const publicKey = pemFromEnv(options.config.JWT_PUBLIC_KEY);
  const app = await createServiceApp({
    service: options.service,
    description: options.description,
    logLevel: options.config.LOG_LEVEL,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    auth: revocations ? { publicKey, revocations: revocations.list } : { publicKey, defaultAccess: 'public' },
    ...(edge
      ? {
          parseJsonBodies: false,
          ...(edge.transformOpenApi ? { transformOpenApi: edge.transformOpenApi } : {}),
          ...(edge.notFoundFallback ? { notFoundFallback: edge.notFoundFallback } : {}),
        }
      : {}),
    trustProxy: trustedProxies(options.config.TRUSTED_PROXIES),
    pools: [db.pool],
    readiness: () => [
      ...(edge
        ? [{ name: 'postgres', critical: false, check: () => db.ping() }]
        : [
            { name: 'postgres', check: () => db.ping() },
            { name: 'nats', check: () => bus.ping() },
          ]),
      ...(options.extraReadiness?.() ?? []),
    ],
  });
  const relay = edge
    ? undefined
    : new OutboxRelay({
        db: db.db,
        pool: db.pool,
        schema: db.schema,
        bus,
        logger: app.log.child({ component: 'outbox-relay' }) as unknown as Logger,
        registry: app.metricsRegistry,
      });
  if (relay) app.addHook('onReady', async () => relay.start());
  // Hooks run in reverse registration order on close; domain plugins added later stop
  // their consumers first, then this hook flushes the outbox and closes connections.
  app.addHook('onClose', async () => {
    await revocations?.stop();
    await relay?.stop();
    await bus.close();
    await db.close();
  });
  return { app, relay, deps: options.deps };
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describe).join('; ');
  const e = error as { code?: string; message?: string };
  return [e?.code, e?.message].filter(Boolean).join(' ') || String(error);
}
