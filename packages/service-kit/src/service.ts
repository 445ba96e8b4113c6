/**
 * A service described once. Its name, schema and migrations, streams, config parser,
 * optional resources (capabilities such as the vector store), domain context, route
 * plugins, event consumers and background tasks: from that one object come `connect()`,
 * `buildApp()`, `server.ts` (`startService`), and the test helper (`@lumikb/service-kit/testing`).
 * A service's own folder then holds only its domain. See docs/how-a-service-is-built.md.
 */
import type { StreamDefinition } from '@lumikb/contracts';
import type { MigrationSet } from '@lumikb/db';
import type { ConsumerDeclaration, ConsumerKit } from '@lumikb/events';
import type { Logger } from 'pino';
import type { ServiceApp } from './app.ts';
import type { NotFoundFallback } from './error-handler.ts';
import {
  connectPlatform,
  createPlatformApp,
  DependencyError,
  type EdgeAppOptions,
  type InfraConfig,
  type PlatformDeps,
} from './platform.ts';
import type { ReadinessCheck } from './readiness.ts';
import { runService } from './run.ts';

/** What every service's config holds (CommonConfigSchema + InfraConfigSchema + PORT). */
export interface ServiceConfig extends InfraConfig {
  LOG_LEVEL: string;
  JWT_PUBLIC_KEY: string;
  TRUSTED_PROXIES?: string;
  PORT: number;
  HOST: string;
  SHUTDOWN_TIMEOUT_MS: number;
}

/**
 * A resource a service may use beside Postgres and NATS, wired the same way wherever it
 * is used: opened by `connect()`, checked by `/ready`, closed with the app.
 */
export interface Capability<C, Resource> {
  open(config: C): Promise<Resource>;
  readiness?(resource: Resource): ReadinessCheck;
  close(resource: Resource): Promise<void>;
}

/** What the descriptor's `context` gets to assemble the domain context from. */
export interface ServiceWiring<C, D> {
  app: ServiceApp;
  config: C;
  deps: D;
  logger: Logger;
  /** Adds a `/ready` check (e.g. the live-settings subscriber). */
  addReadiness(check: ReadinessCheck): void;
}

/**
 * Routes as a Fastify plugin: `(app, ctx)`. Registered in the root scope, so the kit's auth
 * hook, error handler and decorators apply as they did before.
 */
export type RoutePlugin<Ctx> = (app: ServiceApp, ctx: Ctx) => void | Promise<void>;

/** Work that runs while the app is ready (sweeps, pollers): started on ready, stopped first on close. */
export interface BackgroundTask {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

type CapabilitiesOf<C, D> = { [K in keyof D]?: Capability<C, NonNullable<D[K]>> };

export interface ServiceDefinition<C extends ServiceConfig, DB, D extends PlatformDeps<DB>, Ctx> {
  name: string;
  /** Shown in the OpenAPI document. */
  description: string;
  schema: string;
  migrations: MigrationSet;
  streams: readonly StreamDefinition[];
  readConfig(env?: Record<string, string | undefined>): C;
  /** Resources `connect()` opens after Postgres and NATS, by the key they take in the deps. */
  capabilities?: CapabilitiesOf<C, D>;
  bodyLimit?: number;
  /**
   * The public entry point (the gateway) rather than a domain service: public routes,
   * bodies passed through unparsed, no outbox relay or revocation follower, /ready up
   * without Postgres (EdgeAppOptions). Its two hooks get the context once it is built.
   */
  edge?: {
    openApi?(ctx: Ctx, spec: Record<string, unknown>): Record<string, unknown>;
    notFound?(ctx: Ctx): NotFoundFallback;
  };
  /** The domain context, assembled once; everything below receives it. */
  context(wiring: ServiceWiring<C, D>): Ctx | Promise<Ctx>;
  routes?: readonly RoutePlugin<Ctx>[];
  consumers?: readonly ConsumerDeclaration<Ctx, DB>[];
  background?: readonly ((ctx: Ctx) => BackgroundTask)[];
  /** Runs when the app is ready, before the consumers start (e.g. seeding the first records). */
  ready?(ctx: Ctx): Promise<unknown>;
  /** Runs once the routes are registered, before the app is returned (e.g. the first admin). */
  prepare?(ctx: Ctx, app: ServiceApp): Promise<unknown>;
}

export interface Service<C extends ServiceConfig, DB, D extends PlatformDeps<DB>> {
  name: string;
  schema: string;
  migrations: MigrationSet;
  streams: readonly StreamDefinition[];
  readConfig(env?: Record<string, string | undefined>): C;
  /** Postgres (migrated unless told not to), NATS and the capabilities, or a DependencyError. */
  connect(config: C, options?: { runMigrations?: boolean }): Promise<D>;
  buildApp(config: C, deps: D & { logger?: Logger }): Promise<ServiceApp>;
  /** Closes what `connect()` opened (the app closes it too; tests call this when a build fails). */
  disconnect(deps: D): Promise<void>;
}

/** The part of a description `connect()` needs. */
export type ServiceResources<C extends ServiceConfig, DB, D extends PlatformDeps<DB>> = Pick<
  ServiceDefinition<C, DB, D, unknown>,
  'name' | 'schema' | 'migrations' | 'streams' | 'capabilities'
>;

/** `connect()` and `disconnect()` of a service, from its schema, streams and capabilities. */
export function connectionOf<C extends ServiceConfig, DB, D extends PlatformDeps<DB>>(
  definition: ServiceResources<C, DB, D>,
): Pick<Service<C, DB, D>, 'connect' | 'disconnect'> {
  const capabilities = Object.entries(definition.capabilities ?? {}) as [string, Capability<C, unknown>][];
  async function connect(config: C, options: { runMigrations?: boolean } = {}): Promise<D> {
    const platform = await connectPlatform<DB>({
      service: definition.name,
      schema: definition.schema,
      migrations: definition.migrations,
      streams: definition.streams,
      config,
      ...options,
    });
    const opened: Record<string, unknown> = {};
    try {
      for (const [key, capability] of capabilities) opened[key] = await capability.open(config);
    } catch (error) {
      for (const [key, capability] of capabilities) {
        if (key in opened) await capability.close(opened[key]).catch(() => {});
      }
      await platform.bus.close();
      await platform.db.close();
      throw new DependencyError((error as Error).message);
    }
    return { ...platform, ...opened } as D;
  }
  async function disconnect(deps: D): Promise<void> {
    for (const [key, capability] of capabilities) {
      const resource = (deps as Record<string, unknown>)[key];
      if (resource !== undefined) await capability.close(resource).catch(() => {});
    }
    await deps.bus.close();
    await deps.db.close();
  }
  return { connect, disconnect };
}

/** Turns a description into the service's `connect` and `buildApp`. */
export function defineService<C extends ServiceConfig, DB, D extends PlatformDeps<DB>, Ctx>(
  definition: ServiceDefinition<C, DB, D, Ctx>,
): Service<C, DB, D> {
  const capabilities = Object.entries(definition.capabilities ?? {}) as [string, Capability<C, unknown>][];

  const { connect, disconnect } = connectionOf<C, DB, D>(definition);

  async function buildApp(config: C, deps: D & { logger?: Logger }): Promise<ServiceApp> {
    const resources = capabilities.map(([key, capability]) => ({ capability, resource: (deps as never)[key] }));
    const extraReadiness: ReadinessCheck[] = resources.flatMap(({ capability, resource }) =>
      capability.readiness ? [capability.readiness(resource)] : [],
    );
    // The edge's hooks run per request, once the context below exists.
    let built: Ctx | undefined;
    const { app } = await createPlatformApp({
      service: definition.name,
      description: definition.description,
      config,
      deps,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(definition.bodyLimit ? { bodyLimit: definition.bodyLimit } : {}),
      extraReadiness: () => extraReadiness,
      ...(definition.edge ? { edge: edgeOptions(definition.edge, () => built) } : {}),
    });
    // Registered before the domain's hooks, so it runs after them on close (hooks run in reverse).
    app.addHook('onClose', async () => {
      for (const { capability, resource } of resources) await capability.close(resource).catch(() => {});
    });
    const logger = app.log as unknown as Logger;
    const ctx = await definition.context({
      app,
      config,
      deps,
      logger,
      addReadiness: (check) => extraReadiness.push(check),
    });
    built = ctx;
    for (const routes of definition.routes ?? []) await routes(app, ctx);

    const kit: ConsumerKit<DB> = { db: deps.db.db, bus: deps.bus, logger, registry: app.metricsRegistry };
    const consumers = (definition.consumers ?? []).map((declare) => declare(ctx, kit));
    const tasks = (definition.background ?? []).map((task) => task(ctx));
    app.addHook('onReady', async () => {
      await definition.ready?.(ctx);
      for (const consumer of consumers) await consumer.start();
      for (const task of tasks) await task.start();
    });
    // After the kit's own hook, so it runs first: consumers stop before NATS and Postgres close.
    app.addHook('onClose', async () => {
      for (const task of tasks) await task.stop();
      await Promise.all(consumers.map((c) => c.stop()));
    });
    await definition.prepare?.(ctx, app);
    return app;
  }

  return {
    name: definition.name,
    schema: definition.schema,
    migrations: definition.migrations,
    streams: definition.streams,
    readConfig: definition.readConfig,
    connect,
    buildApp,
    disconnect,
  };
}

/** The edge hooks of a descriptor as the platform app takes them, reading the context when called. */
function edgeOptions<Ctx>(
  edge: NonNullable<ServiceDefinition<ServiceConfig, unknown, PlatformDeps<unknown>, Ctx>['edge']>,
  context: () => Ctx | undefined,
): EdgeAppOptions {
  const { openApi, notFound } = edge;
  return {
    ...(openApi
      ? {
          transformOpenApi: (spec) => {
            const ctx = context();
            return ctx ? openApi(ctx, spec) : spec;
          },
        }
      : {}),
    ...(notFound
      ? {
          notFoundFallback: async (request, reply) => {
            const ctx = context();
            return ctx ? notFound(ctx)(request, reply) : false;
          },
        }
      : {}),
  };
}

/** A service's whole `server.ts`: parse the config, connect, build, listen, stop on a signal. */
export function startService<C extends ServiceConfig, DB, D extends PlatformDeps<DB>>(
  service: Service<C, DB, D>,
): Promise<void> {
  return runService(async () => {
    const config = service.readConfig();
    const app = await service.buildApp(config, await service.connect(config));
    return {
      app,
      options: {
        service: service.name,
        port: config.PORT,
        host: config.HOST,
        shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      },
    };
  });
}

/** A background task from a `start` that returns its own stop function (a sweep, a purge). */
export function backgroundTask(start: () => () => void): BackgroundTask {
  let stop: (() => void) | undefined;
  return {
    start: () => {
      stop = start();
    },
    stop: () => stop?.(),
  };
}
