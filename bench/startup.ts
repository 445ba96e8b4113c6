/**
 * `pnpm bench startup`: how long `pnpm start` takes until the platform answers, against
 * the start of one bare Fastify process measured in the same run (the ratio holds across
 * machines and load).
 *
 * - cold: an empty database (every migration runs) and no service bundle (all rebuilt);
 * - warm: the database migrated and the bundles cached — the everyday restart;
 * - warm under tsx: the same with `LUMIKB_START_WITH_TSX=1`, how services started before.
 * For each: until the gateway answers GET /health, and until every service is ready.
 * Each stack runs on free ports with a database and NATS prefix of its own.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestBus } from '@lumikb/test-kit';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVICE_DIRS = ['gateway', 'auth', 'registry', 'knowledge-base', 'ingestion-worker', 'proxy-sync'];
const PORT_VARIABLES = [
  'GATEWAY_PORT',
  'AUTH_PORT',
  'REGISTRY_PORT',
  'KB_PORT',
  'INGESTION_WORKER_PORT',
  'PROXY_SYNC_PORT',
];

const BARE_FASTIFY = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

interface Timing {
  gatewayMs: number;
  readyMs: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET url until it answers 2xx; returns the time since `since`. */
async function untilAnswers(url: string, since: number, child: ChildProcess, timeoutMs = 180_000): Promise<number> {
  const deadline = since + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, 30_000);
    // 'close': every process holding its output has gone (start.ts outlives pnpm by its shutdown).
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

async function bareFastify(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_FASTIFY], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
    detached: true,
  });
  try {
    return await untilAnswers(`http://127.0.0.1:${port}/health`, started, child);
  } finally {
    await stopGroup(child);
  }
}

async function pnpmStart(database: string, prefix: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Timing> {
  const ports = await Promise.all(PORT_VARIABLES.map(() => freePort()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(PORT_VARIABLES.map((v, i) => [v, String(ports[i])])),
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    NATS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const started = performance.now();
  // Its own process group, so the whole `pnpm start` chain is stopped together.
  const child = spawn('pnpm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let readyMs: number | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    output += `${line}\n`;
    if (readyMs === undefined && line.includes('LumiKB is up')) readyMs = performance.now() - started;
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  try {
    const gatewayMs = await untilAnswers(`http://127.0.0.1:${ports[0]}/health`, started, child);
    const deadline = Date.now() + 180_000;
    while (readyMs === undefined) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pnpm start did not get ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { gatewayMs, readyMs };
  } finally {
    await stopGroup(child);
  }
}

const s = (ms: number) => Number((ms / 1000).toFixed(2));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchStartup(options: { rounds?: number } = {}) {
  const rounds = options.rounds ?? 3;
  const id = Math.random().toString(36).slice(2, 8);
  const database = `lumikb_bench_startup_${id}`;
  const prefix = `benchstart${id}`;
  try {
    const bare: number[] = [];
    for (let i = 0; i < rounds; i++) bare.push(await bareFastify());

    for (const service of SERVICE_DIRS)
      rmSync(join(ROOT, 'services', service, '.bundle'), { recursive: true, force: true });
    const cold = await pnpmStart(database, prefix);

    const warm: Timing[] = [];
    for (let i = 0; i < rounds; i++) warm.push(await pnpmStart(database, prefix));
    const tsx = await pnpmStart(database, prefix, { LUMIKB_START_WITH_TSX: '1' });

    const bareMs = median(bare);
    const warmGateway = median(warm.map((w) => w.gatewayMs));
    const warmReady = median(warm.map((w) => w.readyMs));
    return {
      [`bare Fastify process answers (s, median of ${rounds})`]: s(bareMs),
      'cold pnpm start: gateway answers (s)': s(cold.gatewayMs),
      'cold pnpm start: every service ready (s)': s(cold.readyMs),
      [`warm pnpm start: gateway answers (s, median of ${rounds})`]: s(warmGateway),
      [`warm pnpm start: every service ready (s, median of ${rounds})`]: s(warmReady),
      'warm pnpm start under tsx: gateway answers (s)': s(tsx.gatewayMs),
      'warm pnpm start under tsx: every service ready (s)': s(tsx.readyMs),
      'cold gateway / bare Fastify': Number((cold.gatewayMs / bareMs).toFixed(1)),
      'warm gateway / bare Fastify': Number((warmGateway / bareMs).toFixed(1)),
      'warm ready / bare Fastify': Number((warmReady / bareMs).toFixed(1)),
      'tsx ready / bundles ready (warm)': Number((tsx.readyMs / warmReady).toFixed(2)),
    };
  } finally {
    const bus = await createTestBus(undefined, { prefix });
    await bus.bus.deletePrefixedStreams().catch(() => {});
    await bus.bus.close();
    execFileSync(
      'dropdb',
      ['--if-exists', '--force', '--maintenance-db=postgres://postgres@127.0.0.1:5432/postgres', database],
      {
        stdio: 'ignore',
      },
    );
  }
}
