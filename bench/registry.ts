/**
 * Registry CRUD latency at 50 concurrent clients (spec: < 100 ms; goal: p99 < 20 ms).
 *
 * Boots the registry on a throwaway test database and NATS prefix, listens on a real
 * port, and lets 50 clients run create → get → update → list → delete cycles over
 * keep-alive HTTP for a fixed time, timing every request. Run alone with
 * `tsx bench/registry.ts` (REGISTRY_BENCH_SECONDS, REGISTRY_BENCH_CLIENTS override).
 */

import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** The registry in a child process (bench/servers/registry.ts), so clients and server get a core each. */
async function startRegistryProcess() {
  const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
  // REGISTRY_BENCH_PROFILE=<dir> writes a V8 CPU profile of the registry process there.
  const profile = process.env.REGISTRY_BENCH_PROFILE;
  const args = [
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
    new URL('./servers/registry.ts', import.meta.url).pathname,
  ];
  const child = spawn(tsx, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`registry bench server exited with ${code}`)));
  });
  const { port, token } = JSON.parse(line) as { port: number; token: string };
  return {
    port,
    token,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

type Op = 'create' | 'get' | 'update' | 'list' | 'delete';

interface Options {
  clients?: number;
  durationMs?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function benchRegistry(options: Options = {}): Promise<Record<string, number | string>> {
  const clients = options.clients ?? Number(process.env.REGISTRY_BENCH_CLIENTS ?? 50);
  const durationMs = options.durationMs ?? Number(process.env.REGISTRY_BENCH_SECONDS ?? 10) * 1000;
  const teardowns: (() => unknown)[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  try {
    const server = await startRegistryProcess();
    teardowns.push(() => server.stop());
    const { port } = server;
    const authorization = `Bearer ${server.token}`;

    const call = (method: string, path: string, body?: unknown) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method,
            path,
            agent,
            headers: {
              authorization,
              ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });

    // A registry with some history: 100 models besides the built-in ones.
    for (let i = 0; i < 100; i++) {
      await call('POST', '/api/v1/admin/models', {
        type: i % 2 ? 'embedding' : 'generation',
        provider: 'ollama',
        name: `seed ${i}`,
        model_id: `seed-model-${i}`,
        api_endpoint: 'http://127.0.0.1:11434',
        config: i % 2 ? { dimensions: 768, max_tokens: 512 } : { context_window: 8192, max_output_tokens: 1024 },
      });
    }

    const latencies: Record<Op, number[]> = { create: [], get: [], update: [], list: [], delete: [] };
    let errors = 0;
    const timed = async (op: Op, method: string, path: string, body?: unknown, expected = 200) => {
      const started = performance.now();
      const response = await call(method, path, body);
      latencies[op].push(performance.now() - started);
      if (response.status !== expected) errors++;
      return response;
    };

    const deadline = Date.now() + durationMs;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let cycle = 0; Date.now() < deadline; cycle++) {
          const created = await timed(
            'create',
            'POST',
            '/api/v1/admin/models',
            {
              type: 'generation',
              provider: 'openai',
              name: `bench ${client}-${cycle}`,
              model_id: 'gpt-4o-mini',
              api_key: `sk-bench-${client}-${cycle}-secret`,
              config: { context_window: 128000, max_output_tokens: 4096, tags: ['bench'] },
            },
            201,
          );
          const id = (JSON.parse(created.body) as { id?: string }).id;
          if (!id) continue;
          await timed('get', 'GET', `/api/v1/admin/models/${id}`);
          await timed('update', 'PUT', `/api/v1/admin/models/${id}`, {
            name: `bench ${client}-${cycle} (edited)`,
            config: { max_output_tokens: 2048 },
          });
          await timed('list', 'GET', '/api/v1/admin/models?type=generation&limit=50');
          await timed('delete', 'DELETE', `/api/v1/admin/models/${id}`, undefined, 204);
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;

    const result: Record<string, number | string> = { clients, duration_s: round(elapsedS) };
    const all: number[] = [];
    for (const [op, values] of Object.entries(latencies)) {
      const sorted = [...values].sort((a, b) => a - b);
      all.push(...values);
      result[`${op}_p50_ms`] = round(percentile(sorted, 50));
      result[`${op}_p99_ms`] = round(percentile(sorted, 99));
    }
    all.sort((a, b) => a - b);
    result.crud_p50_ms = round(percentile(all, 50));
    result.crud_p99_ms = round(percentile(all, 99));
    result.requests = all.length;
    result.requests_per_s = round(all.length / elapsedS);
    result.errors = errors;
    result.verdict =
      result.crud_p99_ms < 20
        ? 'p99 < 20 ms (goal met)'
        : result.crud_p99_ms < 100
          ? 'p99 < 100 ms (spec met, goal missed)'
          : 'p99 >= 100 ms (spec missed)';
    return result;
  } finally {
    agent.destroy();
    for (const fn of teardowns.reverse()) await fn();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchRegistry();
  console.table(result);
}
