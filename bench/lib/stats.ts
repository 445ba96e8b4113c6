/** Percentiles and a closed-loop HTTP load generator for the benchmarks. */
import { Pool } from 'undici';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(latenciesMs: number[]) {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
}

export const ms = (n: number) => `${n.toFixed(2)} ms`;

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** `concurrency` clients each sending the next request as soon as the last answered. */
export async function closedLoop(
  origin: string,
  request: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string | (() => string);
    headers?: Record<string, string>;
    body?: () => string;
  },
  options: { concurrency: number; durationMs: number; warmupMs?: number },
): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const one = async (record: boolean) => {
    const started = performance.now();
    try {
      const res = await pool.request({
        method: request.method ?? 'GET',
        path: typeof request.path === 'function' ? request.path() : request.path,
        headers: request.headers ?? {},
        ...(request.body ? { body: request.body() } : {}),
      });
      await res.body.dump();
      if (res.statusCode >= 400) errors++;
    } catch {
      errors++;
    }
    if (record) latencies.push(performance.now() - started);
  };
  const runFor = async (durationMs: number, record: boolean) => {
    const until = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) await one(record);
      }),
    );
  };
  await runFor(options.warmupMs ?? 1_000, false);
  errors = 0;
  const started = performance.now();
  await runFor(options.durationMs, true);
  const elapsed = performance.now() - started;
  await pool.close();
  const s = summarize(latencies);
  return { requests: latencies.length, errors, rps: (latencies.length / elapsed) * 1000, p50: s.p50, p99: s.p99 };
}
