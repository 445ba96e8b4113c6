/**
 * Brings up what the suite runs against, the way `pnpm start` does (service bundles, one
 * migration process, the web build only when web/ changed — the gateway serves web/dist):
 * - starts the fake LiteLLM proxy, the fake Ollama and a fake reranker from @lumikb/test-kit,
 * - starts all six services on a fresh database and NATS prefix, on ports of their own,
 * - seeds the test data through the API,
 * and tears all of it down afterwards. With E2E_BASE_URL set it only seeds that stack.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestBus, startFakeLiteLLM, startFakeOllama, startFakeReranker } from '@lumikb/test-kit';
import type { FullConfig } from '@playwright/test';
import { type RunningStack, startStack } from '../../scripts/lib/stack.ts';
import { USERS } from '../fixtures/data.ts';
import { seed } from './seed.ts';

const log = (line: string): void => {
  process.stderr.write(`[e2e] ${line}\n`);
};

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  const started = Date.now();
  const cleanups: (() => Promise<void> | void)[] = [];
  const teardown = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        log(`cleanup failed: ${(error as Error).message}`);
      }
    }
  };

  try {
    const litellm = await startFakeLiteLLM(undefined, { masterKey: 'sk-e2e-master' });
    const ollama = await startFakeOllama(undefined);
    // A Jina-compatible reranker without authentication, for rerank models of the custom provider.
    const reranker = await startFakeReranker(undefined, { flavour: 'jina', apiKey: null });
    cleanups.push(
      () => litellm.close(),
      () => ollama.close(),
      () => reranker.close(),
    );

    let baseURL = process.env.E2E_BASE_URL;
    if (!baseURL) {
      const stack = await startLocalStack(litellm.url, litellm.masterKey, cleanups);
      baseURL = stack.url;
    }

    log('seeding test data …');
    const data = await seed({ baseURL, ollamaUrl: ollama.url, litellmUrl: litellm.url, rerankUrl: reranker.url });
    process.env.E2E_SEED = JSON.stringify(data);
    process.env.E2E_BASE_URL_RESOLVED = baseURL;
    log(`ready at ${baseURL} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function startLocalStack(
  litellmUrl: string,
  masterKey: string,
  cleanups: (() => Promise<void> | void)[],
): Promise<RunningStack> {
  const id = Math.random().toString(36).slice(2, 10);
  const portBase = Number(process.env.E2E_PORT_BASE ?? 18080);
  const database = `lumikb_e2e_${id}`;
  const prefix = `e2e${id}`;
  const secretsDir = mkdtempSync(join(tmpdir(), 'lumikb-e2e-secrets-'));
  const pgBase = process.env.E2E_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: `${pgBase}/${database}`,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_PREFIX: prefix,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    GATEWAY_PORT: String(portBase),
    AUTH_PORT: String(portBase + 1),
    REGISTRY_PORT: String(portBase + 2),
    KB_PORT: String(portBase + 3),
    INGESTION_WORKER_PORT: String(portBase + 4),
    PROXY_SYNC_PORT: String(portBase + 5),
    LUMIKB_ADMIN_EMAIL: USERS.admin.email,
    LUMIKB_ADMIN_PASSWORD: USERS.admin.password,
    // The fake LiteLLM proxy: registry and proxy-sync manage it, KB and worker call through it.
    LITELLM_PROXY_URL: litellmUrl,
    LITELLM_MASTER_KEY: masterKey,
    LITELLM_URL: litellmUrl,
    LITELLM_API_KEY: masterKey,
    COOKIE_SECURE: 'false',
    // Every test signs in: scrypt at test cost (the same code, ~1/100 of the CPU per sign-in).
    PASSWORD_HASH_COST: 'test',
  };
  // Other variables of the developer's shell must not leak in (ports, a different database).
  const base = { ...process.env };
  for (const key of ['E2E_SEED', 'DATABASE_URL']) delete base[key];

  // Another stack on these ports would answer our readiness probes and the suite would run against it.
  const busy: number[] = [];
  for (let port = portBase; port <= portBase + 5; port++) if (!(await portIsFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new Error(
      `port(s) ${busy.join(', ')} are in use (another LumiKB stack?); set E2E_PORT_BASE to a free range of six ports`,
    );
  }

  log(`starting the stack on ports ${portBase}-${portBase + 5}, database ${database} …`);
  const stack = await startStack({
    env: { ...base, ...env },
    secretsDir,
    skipWebBuild: process.env.E2E_SKIP_BUILD === '1',
    log: (line) => {
      if (process.env.E2E_VERBOSE) log(line);
    },
  });
  cleanups.push(async () => {
    const bus = await createTestBus(undefined, { prefix });
    await bus.bus.deletePrefixedStreams().catch(() => {});
    await bus.bus.close();
  });
  cleanups.push(() => {
    if (process.env.E2E_KEEP_DB === '1') {
      log(`kept database ${database}`);
      return;
    }
    execFileSync('dropdb', ['--if-exists', '--force', `--maintenance-db=${pgBase}/postgres`, database], {
      stdio: 'ignore',
    });
  });
  cleanups.push(() => rmSync(secretsDir, { recursive: true, force: true }));
  cleanups.push(() => stack.stop());
  await stack.waitUntilReady(120_000);
  await raiseRateLimits(stack.url);
  return stack;
}

/**
 * Every request of the suite comes from 127.0.0.1 as a handful of users; the default
 * limits of the Config page would throttle it. Raised the way an admin would.
 */
async function raiseRateLimits(url: string): Promise<void> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: USERS.admin.email, password: USERS.admin.password }),
  });
  if (!login.ok) throw new Error(`admin sign-in failed: ${login.status} ${await login.text()}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const put = await fetch(`${url}/api/v1/admin/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      rate_limits: {
        api_requests_per_minute: 100_000,
        login_attempts_per_minute: 1_000,
        search_requests_per_minute: 10_000,
        chat_requests_per_minute: 10_000,
        upload_requests_per_minute: 10_000,
      },
    }),
  });
  if (!put.ok) throw new Error(`raising the rate limits failed: ${put.status} ${await put.text()}`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1' }, () => server.close(() => resolve(true)));
  });
}
