/**
 * The gateway's /docs shows one OpenAPI document for the whole public API: each
 * upstream's paths under /api/v1 (only those the gateway actually routes to it),
 * refreshed in the background so /docs never waits on a slow service.
 */
import type { FastifyBaseLogger } from 'fastify';
import { API_ROUTES, type Upstream, upstreamOf } from './routes-table.ts';

const isProxyCatchAll = (path: string) =>
  API_ROUTES.some((route) => path === `${route.prefix}/` || path === `${route.prefix}/{*}` || path === route.prefix);

type Spec = Record<string, unknown> & { paths?: Record<string, unknown>; components?: Record<string, unknown> };

export class MergedOpenApi {
  private upstreamSpecs = new Map<Upstream, Spec>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly upstreams: Record<Upstream, string>,
    private readonly log: FastifyBaseLogger,
    private readonly refreshMs = 30_000,
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    await Promise.all(
      (Object.entries(this.upstreams) as [Upstream, string][]).map(async ([name, base]) => {
        try {
          const res = await fetch(`${base}/docs/json`, { signal: AbortSignal.timeout(3_000) });
          if (res.ok) this.upstreamSpecs.set(name, (await res.json()) as Spec);
        } catch (error) {
          this.log.debug({ upstream: name, err: error }, 'OpenAPI of upstream not available yet');
        }
      }),
    );
  }

  /** The gateway's own document with every routed upstream path merged in. */
  merge(own: Spec): Spec {
    // The gateway's own catch-all proxy routes (`/api/v1/auth/`, `/api/v1/auth/{*}`, seven
    // methods each) describe nothing: the routes behind them come from the services below.
    const paths: Record<string, unknown> = Object.fromEntries(
      Object.entries(own.paths ?? {}).filter(([path]) => !isProxyCatchAll(path)),
    );
    const schemas: Record<string, unknown> = {};
    for (const [name, spec] of this.upstreamSpecs) {
      for (const [path, item] of Object.entries(spec.paths ?? {})) {
        // Only paths the gateway routes to this upstream: internal and probe routes stay private.
        if (upstreamOf(path.replace(/\{[^}]+\}/g, 'x')) === name) paths[path] = item;
      }
      Object.assign(schemas, (spec.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {});
    }
    const components = (own.components ?? {}) as Record<string, unknown>;
    // Which services' documents are not merged in yet (they are fetched in the background):
    // a client generating types from this document waits until the list is empty.
    const missing = Object.keys(this.upstreams).filter((name) => !this.upstreamSpecs.has(name as Upstream));
    return {
      ...own,
      'x-lumikb-missing-upstreams': missing.sort(),
      info: {
        ...(own.info as object),
        title: 'LumiKB API',
        description: 'Every public route of every LumiKB service.',
      },
      paths,
      components: { ...components, schemas: { ...((components.schemas as object) ?? {}), ...schemas } },
    };
  }
}
