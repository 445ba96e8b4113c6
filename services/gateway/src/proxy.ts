/** /api/v1/* proxied to the owning service by prefix (routes-table.ts), its failures in the error shape. */
import httpProxy from '@fastify/http-proxy';
import { defineErrors, type ReadinessCheck, type ServiceApp } from '@lumikb/service-kit';
import type { Config } from './config.ts';
import type { GatewayContext } from './context.ts';
import { upstreamHeaders } from './forwarded-headers.ts';
import { API_ROUTES, type Upstream } from './routes-table.ts';

const errors = defineErrors({ UPSTREAM_UNAVAILABLE: 'unavailable', UPSTREAM_TIMEOUT: 'upstream_timeout' });

export function upstreamUrls(config: Config): Record<Upstream, string> {
  return {
    auth: config.AUTH_URL,
    registry: config.REGISTRY_URL,
    'knowledge-base': config.KB_URL,
    'proxy-sync': config.PROXY_SYNC_URL,
  };
}

/** Each upstream's /health, not critical: the gateway itself stays ready while one is down. */
export function upstreamReadiness(upstreams: Record<Upstream, string>): ReadinessCheck[] {
  return (Object.entries(upstreams) as [Upstream, string][]).map(([name, base]) => ({
    name,
    critical: false,
    check: async () => {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1_500) });
      if (!res.ok) throw new Error(`health answered ${res.status}`);
    },
  }));
}

/** What the caller sees when the owning service cannot answer (never the raw socket error). */
function upstreamError(upstream: Upstream, error: unknown) {
  const e = error as { statusCode?: number; code?: string };
  if (e.statusCode === 504 || /TIMEOUT/.test(e.code ?? '')) {
    return errors.UPSTREAM_TIMEOUT(`The ${upstream} service did not answer in time`, { upstream });
  }
  return errors.UPSTREAM_UNAVAILABLE(`The ${upstream} service is unavailable; try again shortly`, { upstream });
}

export async function registerApiProxies(app: ServiceApp, ctx: GatewayContext): Promise<void> {
  for (const route of API_ROUTES) {
    await app.register(httpProxy, {
      upstream: ctx.upstreams[route.upstream],
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      http: { requestOptions: { timeout: ctx.config.UPSTREAM_TIMEOUT_MS } },
      replyOptions: {
        rewriteRequestHeaders: (request, headers) => upstreamHeaders(request, headers),
        onError: (reply, { error }) => {
          reply.request.log.warn({ err: error, upstream: route.upstream }, 'upstream request failed');
          void reply.send(upstreamError(route.upstream, error));
        },
      },
    });
  }
}
