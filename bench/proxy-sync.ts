/**
 * model.created → registered in the (fake) LiteLLM proxy: latency p50/p99.
 *
 * Boots proxy-sync on a throwaway test database and NATS prefix, with the fake LiteLLM
 * proxy and a fake registry credentials API, publishes model.created events the way
 * the registry's outbox relay does, and times each one until the proxy received its
 * POST /model/new. First one at a time (latency), then a burst (throughput). Run alone
 * with `tsx bench/proxy-sync.ts` (PROXY_SYNC_BENCH_EVENTS, PROXY_SYNC_BENCH_BURST).
 */
import { pathToFileURL } from 'node:url';
import { ModelCreated } from '@lumikb/contracts';
import { startFakeLiteLLM, testKeys, waitFor } from '@lumikb/test-kit';
import { buildTestApp, modelView, publish, startFakeRegistry } from '../services/proxy-sync/test/helper.ts';
import { ms, summarize } from './lib/stats.ts';

export async function benchProxySync(
  options: { events?: number; burst?: number } = {},
): Promise<Record<string, number | string>> {
  const events = options.events ?? Number(process.env.PROXY_SYNC_BENCH_EVENTS ?? 200);
  const burst = options.burst ?? Number(process.env.PROXY_SYNC_BENCH_BURST ?? 200);
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  try {
    const proxy = await startFakeLiteLLM(t, { masterKey: 'sk-bench-master' });
    const registry = await startFakeRegistry(t, testKeys().publicKey);
    const { app, bus } = await buildTestApp(t, {
      LITELLM_PROXY_URL: proxy.url,
      LITELLM_MASTER_KEY: 'sk-bench-master',
      REGISTRY_URL: registry.url,
      SERVICE_CLIENT_SECRET: 'b'.repeat(32),
      RECONCILE_INTERVAL_MS: '0',
    });
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/ready' })).json().checks?.litellm?.status === 'up',
      {
        what: 'proxy-sync ready',
      },
    );

    const registeredAt = (id: string) =>
      proxy.requestsTo('/model/new').find((r) => (r.body as { model_info?: { id?: string } })?.model_info?.id === id)
        ?.at;
    const create = async () => {
      const model = modelView({ provider: 'openai', model_id: 'gpt-4o-mini' });
      registry.models.set(model.id, { ...model, api_key: 'sk-bench-provider' });
      const started = Date.now();
      await publish(bus, ModelCreated, { model });
      return { id: model.id, started };
    };

    // Warm-up.
    for (let i = 0; i < 10; i++) {
      const { id } = await create();
      await waitFor(() => registeredAt(id), { timeoutMs: 10_000, intervalMs: 1 });
    }

    const latencies: number[] = [];
    for (let i = 0; i < events; i++) {
      const { id, started } = await create();
      const at = await waitFor(() => registeredAt(id), { timeoutMs: 10_000, intervalMs: 1 });
      latencies.push(at - started);
    }
    const single = summarize(latencies);

    const burstStarted = Date.now();
    const ids = await Promise.all(Array.from({ length: burst }, () => create()));
    const registered = await waitFor(
      () => {
        const at = new Map<string, number>();
        for (const r of proxy.requestsTo('/model/new')) {
          const id = (r.body as { model_info?: { id?: string } })?.model_info?.id;
          if (id) at.set(id, r.at);
        }
        return ids.every(({ id }) => at.has(id)) ? at : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    const burstLatencies = ids.map(({ id, started }) => (registered.get(id) as number) - started);
    const burstElapsed = Date.now() - burstStarted;
    const burstStats = summarize(burstLatencies);

    return {
      'created → registered, one at a time (events)': single.count,
      'created → registered p50': ms(single.p50),
      'created → registered p99': ms(single.p99),
      'created → registered max': ms(single.max),
      [`burst of ${burst}: all registered in`]: ms(burstElapsed),
      'burst throughput (models/s)': Math.round((burst / burstElapsed) * 1000),
      'burst created → registered p50': ms(burstStats.p50),
      'burst created → registered p99': ms(burstStats.p99),
    };
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchProxySync();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
  process.exit(0);
}
