/**
 * Prometheus metrics. Each app gets its own registry (so tests can build many apps in
 * one process); `GET /metrics` serves it.
 */
import type { FastifyInstance } from 'fastify';
import fastifyMetrics from 'fastify-metrics';
import promClient, { Counter, Gauge, Registry } from 'prom-client';

export interface PoolLike {
  totalCount: number;
  idleCount: number;
}

export async function installMetrics(
  app: FastifyInstance,
  options: { service: string; registry: Registry; pools?: PoolLike[] },
): Promise<void> {
  const { registry } = options;
  registry.setDefaultLabels({ service: options.service });
  await app.register(fastifyMetrics, {
    promClient,
    endpoint: null,
    clearRegisterOnInit: false,
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: true,
      routeBlacklist: ['/metrics'],
      overrides: {
        labels: { method: 'method', route: 'route', status: 'status' },
        histogram: {
          name: 'lumikb_api_request_latency_seconds',
          help: 'HTTP request latency by method, route and status',
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
          registers: [registry],
        },
        // fastify-metrics builds its summary even when disabled; keep it out of every
        // registry we expose (and out of prom-client's global one).
        summary: { registers: [new Registry()] },
      },
    },
  });

  const errors = new Counter({
    name: 'lumikb_api_error_total',
    help: 'HTTP responses with status >= 400, by route and status class',
    labelNames: ['route', 'status_class'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) return;
    const route = request.routeOptions.url ?? '__unknown__';
    errors.inc({ route, status_class: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  const pools = options.pools ?? [];
  new Gauge({
    name: 'lumikb_db_connections_active',
    help: 'Database connections checked out of the pool',
    registers: [registry],
    collect() {
      this.set(pools.reduce((n, p) => n + (p.totalCount - p.idleCount), 0));
    },
  });

  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export { Registry };
