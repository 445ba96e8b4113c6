/**
 * The gateway: serves the SPA, proxies /api/v1/* to the owning service by prefix,
 * merges their OpenAPI at /docs, rate-limits and sets security headers. It owns no
 * data; each upstream enforces access to its own routes.
 */
import helmet from '@fastify/helmet';
import httpProxy from '@fastify/http-proxy';
import rateLimit from '@fastify/rate-limit';
import { createServiceApp, defineErrors, pemFromEnv, type ServiceApp, trustedProxies } from '@lumikb/service-kit';
import type { Logger } from 'pino';
import { installBodyLimit } from './body-limit.ts';
import type { Config } from './config.ts';
import { upstreamHeaders } from './forwarded-headers.ts';
import { MergedOpenApi } from './openapi.ts';
import { API_ROUTES, type Upstream } from './routes-table.ts';
import { installSpa, spaFallback, spaRoot } from './static.ts';

export const SERVICE = 'gateway';

const errors = defineErrors({ UPSTREAM_UNAVAILABLE: 'unavailable', UPSTREAM_TIMEOUT: 'upstream_timeout' });

/** What the caller sees when the owning service cannot answer (never the raw socket error). */
function upstreamError(upstream: Upstream, error: unknown) {
  const e = error as { statusCode?: number; code?: string };
  if (e.statusCode === 504 || /TIMEOUT/.test(e.code ?? '')) {
    return errors.UPSTREAM_TIMEOUT(`The ${upstream} service did not answer in time`, { upstream });
  }
  return errors.UPSTREAM_UNAVAILABLE(`The ${upstream} service is unavailable; try again shortly`, { upstream });
}

export interface Deps {
  logger?: Logger;
}

export function upstreamUrls(config: Config): Record<Upstream, string> {
  return {
    auth: config.AUTH_URL,
    registry: config.REGISTRY_URL,
    'knowledge-base': config.KB_URL,
    'proxy-sync': config.PROXY_SYNC_URL,
  };
}

export async function buildApp(config: Config, deps: Deps = {}): Promise<ServiceApp> {
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
    readiness: () =>
      (Object.entries(upstreams) as [Upstream, string][]).map(([name, base]) => ({
        name,
        critical: false,
        check: async () => {
          const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1_500) });
          if (!res.ok) throw new Error(`health answered ${res.status}`);
        },
      })),
  });
  merged = new MergedOpenApi(upstreams, app.log);
  app.addHook('onReady', async () => merged?.start());
  app.addHook('onClose', async () => merged?.stop());

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Swagger UI at /docs uses inline styles and scripts.
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    allowList: (request) => !request.url.startsWith('/api/'),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });

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
