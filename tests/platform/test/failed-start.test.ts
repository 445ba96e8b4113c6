/**
 * A start that fails leaves nothing behind: when one service cannot start (here auth,
 * whose port another process holds), `pnpm start` stops every process it launched and
 * every other service's port is free again — no orphan keeps running.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestBus, testInfra, waitFor, withDatabase } from '@lumikb/test-kit';
import t from 'tap';
import { startStack } from '../../../scripts/lib/stack.ts';

const PORT_VARIABLES = {
  gateway: 'GATEWAY_PORT',
  auth: 'AUTH_PORT',
  registry: 'REGISTRY_PORT',
  'knowledge-base': 'KB_PORT',
  'ingestion-worker': 'INGESTION_WORKER_PORT',
  'proxy-sync': 'PROXY_SYNC_PORT',
} as const;

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '0.0.0.0' }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Six ports nobody listens on right now. */
async function freePorts(): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: 6 }, () => listen(0)));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map(close));
  return ports;
}

async function portIsFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('a service that cannot start stops the whole start, and no process or port is left', async (t) => {
  const infra = await testInfra();
  const id = Math.random().toString(36).slice(2, 10);
  const database = `lumikb_failed_start_${id}`;
  const prefix = `failstart${id}`;
  const secretsDir = mkdtempSync(join(tmpdir(), 'lumikb-failed-start-'));
  const ports = await freePorts();
  const portOf = Object.fromEntries(Object.keys(PORT_VARIABLES).map((name, i) => [name, ports[i]!]));
  // Another process holds auth's port: auth exits at every start attempt.
  const blocker = await listen(portOf.auth!);
  t.teardown(async () => {
    blocker.close();
    rmSync(secretsDir, { recursive: true, force: true });
    const bus = await createTestBus(undefined, { prefix });
    await bus.bus.deletePrefixedStreams().catch(() => {});
    await bus.bus.close();
    execFileSync(
      'dropdb',
      ['--if-exists', '--force', `--maintenance-db=${withDatabase(infra.postgresUrl, 'postgres')}`, database],
      {
        stdio: 'ignore',
      },
    );
  });

  const lines: string[] = [];
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: withDatabase(infra.postgresUrl, database),
    NATS_URL: infra.natsUrl,
    NATS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  for (const [name, variable] of Object.entries(PORT_VARIABLES)) env[variable] = String(portOf[name]);
  const stack = await startStack({
    env,
    secretsDir,
    skipWebBuild: true,
    // What is under test is the clean-up, not the retries: fail at auth's first exit.
    startAttempts: 1,
    log: (line) => lines.push(line),
    serviceLog: (line) => lines.push(line),
  });

  await t.rejects(stack.waitUntilReady(60_000), /auth keeps exiting at start-up/, 'the start fails naming auth');
  t.ok(
    lines.some((l) => l.includes('EADDRINUSE') || /address already in use/i.test(l)),
    "auth's own log line says why",
  );
  t.ok(stack.pids.length >= 6, `every service was launched (${stack.pids.length} processes)`);

  await waitFor(() => stack.pids.every((pid) => !alive(pid)), {
    timeoutMs: 20_000,
    what: 'every started process to exit',
  });
  t.same(stack.pids.filter(alive), [], 'no process the start launched is still running');
  for (const name of Object.keys(PORT_VARIABLES).filter((n) => n !== 'auth')) {
    t.ok(await portIsFree(portOf[name]!), `${name}'s port ${portOf[name]} is free again`);
  }
});
