/**
 * The gateway: serves the SPA, proxies /api/v1/* to the owning service by prefix,
 * merges their OpenAPI at /docs, rate-limits and sets security headers. It owns no
 * data; each upstream enforces access to its own routes.
 */
import compress from '@fastify/compress';
import helmet from '@fastify/helmet';
import httpProxy from '@fastify/http-proxy';
import { STREAMS } from '@lumikb/contracts';
import {
  connectPlatform,
  createServiceApp,
  defineErrors,
  type PlatformDeps,
  pemFromEnv,
  type ServiceApp,
  trustedProxies,
} from '@lumikb/service-kit';
import { type SettingsSource, SettingsSubscriber } from '@lumikb/settings';
import type { Logger } from 'pino';
import { installBodyLimit } from './body-limit.ts';
import type { Config } from './config.ts';
import { installOriginCheck } from './csrf.ts';
import { type GatewayDatabase, SCHEMA } from './db/database.ts';
import { migrations } from './db/migrations/index.ts';
import { upstreamHeaders } from './forwarded-headers.ts';
import { MergedOpenApi } from './openapi.ts';
import { installRateLimiter } from './rate-limit/limiter.ts';
import { API_ROUTES, type Upstream } from './routes-table.ts';
import { installSpa, spaFallback, spaRoot } from './static.ts';

export const SERVICE = 'gateway';

/** Text worth compressing; images, archives and uploads' bytes are sent as they are. */
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|[^;]*\+(json|xml)|image\/svg)/i;

const errors = defineErrors({ UPSTREAM_UNAVAILABLE: 'unavailable', UPSTREAM_TIMEOUT: 'upstream_timeout' });

/** What the caller sees when the owning service cannot answer (never the raw socket error). */
function upstreamError(upstream: Upstream, error: unknown) {
  const e = error as { statusCode?: number; code?: string };
  if (e.statusCode === 504 || /TIMEOUT/.test(e.code ?? '')) {
    return errors.UPSTREAM_TIMEOUT(`The ${upstream} service did not answer in time`, { upstream });
  }
  return errors.UPSTREAM_UNAVAILABLE(`The ${upstream} service is unavailable; try again shortly`, { upstream });
}

export interface Deps extends PlatformDeps<GatewayDatabase> {
  logger?: Logger;
  /** Defaults to a subscriber of config.updated (the Config page's rate limits, live). */
  settings?: SettingsSource;
}

/** Postgres (the shared rate-limit counters) and NATS (the live settings). */
export function connect(config: Config, options: { runMigrations?: boolean } = {}) {
  return connectPlatform<GatewayDatabase>({
    service: SERVICE,
    schema: SCHEMA,
    migrations,
    streams: [STREAMS.CONFIG],
    config,
    ...options,
  });
}

export function upstreamUrls(config: Config): Record<Upstream, string> {
  return {
    auth: config.AUTH_URL,
    registry: config.REGISTRY_URL,
    'knowledge-base': config.KB_URL,
    'proxy-sync': config.PROXY_SYNC_URL,
  };
}

export async function buildApp(config: Config, deps: Deps): Promise<ServiceApp> {
  const subscriber = deps.settings
    ? undefined
    : await SettingsSubscriber.start({
        bus: deps.bus,
        ...(deps.logger ? { logger: deps.logger.child({ component: 'settings' }) } : {}),
      });
  const settings: SettingsSource = deps.settings ?? subscriber!;
  const upstreams = upstreamUrls(config);
  const root = spaRoot(config.WEB_DIST);
  let merged: MergedOpenApi | undefined;
  const app = await createServiceApp({
    service: SERVICE,
    description: 'Public entry point: the web app and the /api/v1 routes of every service.',
    logLevel: config.LOG_LEVEL,
    ...(deps.logger ? { logger: deps.logger } : {}),
    auth: { publicKey: pemFromEnv(config.JWT_PUBLIC_KEY), defaultAccess: 'public' },
    transformOpenApi: (spec) => merged?.merge(spec) ?? spec,
    notFoundFallback: spaFallback(root),
    // Uploads are streamed through to the knowledge-base service, which enforces its limit.
    bodyLimit: 1024 * 1024 * 1024,
    parseJsonBodies: false,
    // Only the proxies an operator names may tell the gateway who the client is.
    trustProxy: trustedProxies(config.TRUSTED_PROXIES),
    pools: [deps.db.pool],
    readiness: () => [
      // Not critical: without Postgres the rate limits fail open and the gateway still serves.
      { name: 'postgres', critical: false, check: () => deps.db.ping() },
      ...(subscriber ? [subscriber.readiness()] : []),
      ...(Object.entries(upstreams) as [Upstream, string][]).map(([name, base]) => ({
        name,
        critical: false,
        check: async () => {
          const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1_500) });
          if (!res.ok) throw new Error(`health answered ${res.status}`);
        },
      })),
    ],
  });
  app.addHook('onClose', async () => {
    await subscriber?.stop();
    await deps.bus.close();
    await deps.db.close();
  });
  merged = new MergedOpenApi(upstreams, app.log);
  app.addHook('onReady', async () => merged?.start());
  app.addHook('onClose', async () => merged?.stop());

  // br or gzip, as the browser offers, for the SPA's files and JSON (proxied answers too).
  // Server-sent events stay uncompressed, so each token reaches the browser when written.
  await app.register(compress, {
    global: true,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    customTypes: (type: string) => !/event-stream/i.test(type) && COMPRESSIBLE.test(type),
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // No inline script or <style>: the built SPA, the placeholder page and Swagger UI
        // load files (React's style={...} props go through the DOM, which CSP does not
        // block). /docs adds one hash for Swagger's logo stylesheet. See docs/security.md.
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  installOriginCheck(
    app,
    config.PUBLIC_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  );
  installRateLimiter(app, { db: deps.db.db, limits: () => settings.snapshot.system.rate_limits });

  installBodyLimit(app, config.MAX_BODY_BYTES);

  for (const route of API_ROUTES) {
    await app.register(httpProxy, {
      upstream: upstreams[route.upstream],
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      http: { requestOptions: { timeout: config.UPSTREAM_TIMEOUT_MS } },
      replyOptions: {
        rewriteRequestHeaders: (request, headers) => upstreamHeaders(request, headers),
        onError: (reply, { error }) => {
          reply.request.log.warn({ err: error, upstream: route.upstream }, 'upstream request failed');
          void reply.send(upstreamError(route.upstream, error));
        },
      },
    });
  }
  await installSpa(app, root);
  return app;
}
