/**
 * Brings the whole platform up on this machine: preflight of Postgres and NATS, the
 * database, development secrets, then — at the same time — every migration (one process),
 * the service bundles (rebuilt only when their sources changed) and the web build (only
 * when web/ changed), and every service as its own process as soon as it can start.
 * Used by `pnpm start`, the browser end-to-end suite's global setup, the start-up tests
 * and `pnpm bench startup`.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundles } from './bundles.ts';
import { describeMigrated, migrateAll, servicesWithMigratedSchema } from './migrations.ts';
import { checkNats, checkPostgres } from './preflight.ts';
import { loadOrCreateDevSecrets } from './secrets.ts';
import { portOf, SERVICES, type ServiceSpec } from './services.ts';
import { type ProcessSpec, Supervisor } from './supervisor.ts';
import { buildWeb, webBuildNeeded } from './web-build.ts';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface StackOptions {
  env?: NodeJS.ProcessEnv;
  /** Where development secrets live (default `.dev-secrets`). */
  secretsDir?: string;
  rawLogs?: boolean;
  /** Progress lines (default: stdout). */
  log?: (line: string) => void;
  /** The services' own log lines (default: stdout, whatever `log` does). */
  serviceLog?: (line: string) => void;
  skipWebBuild?: boolean;
  /** Run the sources with tsx instead of the bundles (also `LUMIKB_START_WITH_TSX=1`). */
  tsx?: boolean;
  /** Aborting it (Ctrl-C during the start) stops every process started so far. */
  signal?: AbortSignal;
  /** A service that exits this many times before it is ready fails the start (default 3). */
  startAttempts?: number;
}

export interface RunningStack {
  url: string;
  env: NodeJS.ProcessEnv;
  /** Every process id the stack started (tests check that none survives a failed start). */
  readonly pids: readonly number[];
  /** The port of every service. */
  readonly ports: Readonly<Record<string, number>>;
  stop(): Promise<void>;
  /** Resolves when every service answers /ready; on failure stops everything, then rejects. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
}

const SECRET_VARIABLES = ['JWT_PUBLIC_KEY', 'JWT_PRIVATE_KEY', 'ENCRYPTION_KEYS', 'SERVICE_CLIENT_SECRET'] as const;

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const since = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/lumikb';
  env.NATS_URL ??= 'nats://127.0.0.1:4222';
  const useTsx = options.tsx ?? env.LUMIKB_START_WITH_TSX === '1';
  const startAttempts = options.startAttempts ?? 3;

  const production = env.NODE_ENV === 'production';
  const missing = SECRET_VARIABLES.filter((v) => !env[v]);
  if (missing.length > 0) {
    if (production) {
      throw new Error(`NODE_ENV=production: set ${missing.join(', ')} in the environment (no secrets are generated)`);
    }
    const dir = options.secretsDir ?? join(ROOT, '.dev-secrets');
    const { secrets, created } = loadOrCreateDevSecrets(dir);
    for (const name of missing) env[name] = secrets[name];
    if (created) log(`generated development secrets in ${dir} (git-ignored; production takes them from env)`);
  }

  log(`checking PostgreSQL (${redact(env.DATABASE_URL)}) and NATS (${env.NATS_URL}) …`);
  const [{ created }] = await Promise.all([checkPostgres(env.DATABASE_URL), checkNats(env.NATS_URL)]);
  if (created) log(`created database ${new URL(env.DATABASE_URL).pathname.slice(1)}`);

  const urls = {
    AUTH_URL: `http://127.0.0.1:${portOf(byName('auth'), env)}`,
    REGISTRY_URL: `http://127.0.0.1:${portOf(byName('registry'), env)}`,
    KB_URL: `http://127.0.0.1:${portOf(byName('knowledge-base'), env)}`,
    PROXY_SYNC_URL: `http://127.0.0.1:${portOf(byName('proxy-sync'), env)}`,
    // Not called by anyone; named so the outbound policy can refuse them as model endpoints.
    INGESTION_WORKER_URL: `http://127.0.0.1:${portOf(byName('ingestion-worker'), env)}`,
    GATEWAY_URL: `http://127.0.0.1:${portOf(byName('gateway'), env)}`,
  };
  for (const [k, v] of Object.entries(urls)) env[k] ??= v;
  const ports = Object.fromEntries(SERVICES.map((s) => [s.name, portOf(s, env)]));

  const supervisor = new Supervisor(
    SERVICES.map((s) => s.name),
    { raw: options.rawLogs ?? false, ...(options.serviceLog ? { write: options.serviceLog } : {}) },
  );
  const startedAt = new Map<string, number>();
  const stop = () => supervisor.stop();
  options.signal?.addEventListener('abort', () => void stop(), { once: true });

  // Everything below runs at once; a service starts when its own prerequisites are done.
  const web = join(ROOT, 'web');
  const webReady: Promise<void> =
    !options.skipWebBuild && existsSync(join(web, 'package.json')) && webBuildNeeded(ROOT)
      ? (async () => {
          log('web: building (its sources changed) …');
          const t = performance.now();
          await buildWeb(ROOT, env);
          log(`web: built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
        })()
      : Promise.resolve();
  const migratedBefore = servicesWithMigratedSchema(ROOT, env.DATABASE_URL!);
  const migrated = (async () => {
    log('migrations: running for every schema …');
    for (const m of await migrateAll(ROOT, env.DATABASE_URL!)) log(`migrations: ${describeMigrated(m)}`);
  })();

  const serviceDirs = SERVICES.map((s) => join(ROOT, 'services', s.name));
  const bundles = useTsx
    ? undefined
    : ensureBundles(ROOT, serviceDirs).then((results) => {
        for (const [i, bundle] of results.entries()) {
          const what = bundle.built ? `bundled in ${Math.round(bundle.ms)} ms` : 'bundle up to date';
          log(`${SERVICES[i]!.name}: ${what} (${relative(ROOT, bundle.entry)})`);
        }
        return results;
      });

  const launch = async (service: ServiceSpec, index: number) => {
    const dir = serviceDirs[index]!;
    let command: [string, string[]];
    if (!bundles) {
      command = [join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/server.ts']];
    } else {
      const bundle = (await bundles)[index]!;
      command = [process.execPath, ['--enable-source-maps', relative(dir, bundle.entry)]];
    }
    // A service migrates its own schema at start too. Only one whose schema does not exist
    // yet waits for the migrations (two processes creating one schema at once collide).
    if (service.hasSchema && !(await migratedBefore).has(service.name)) await migrated;
    // The gateway picks the built web app or its placeholder when it starts.
    if (service.name === 'gateway') await webReady;
    const spec: ProcessSpec = {
      name: service.name,
      cwd: dir,
      env: {
        ...env,
        PORT: String(ports[service.name]),
        // The gateway (on loopback here) is the one proxy the services believe; the
        // gateway itself believes only the proxies the operator lists in TRUSTED_PROXIES.
        ...(service.name === 'gateway' ? {} : { TRUSTED_PROXIES: 'loopback' }),
      },
      command,
    };
    startedAt.set(service.name, performance.now());
    supervisor.start(spec);
    log(`${service.name}: starting on port ${ports[service.name]} (${since()}) …`);
  };
  const launched = Promise.all(SERVICES.map(launch));

  try {
    await Promise.all([launched, webReady, migrated, migratedBefore]);
  } catch (error) {
    await stop();
    throw error;
  }

  const gatewayPort = ports.gateway;
  return {
    url: `http://localhost:${gatewayPort}`,
    env,
    pids: supervisor.pids,
    ports,
    stop,
    async waitUntilReady(timeoutMs = 90_000) {
      try {
        await waitForEveryService(timeoutMs);
        log(`every service is ready (${since()})`);
      } catch (error) {
        log(`stopping every service: ${(error as Error).message}`);
        await stop();
        throw error;
      }
    },
  };

  async function waitForEveryService(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(SERVICES.map((s) => s.name));
    while (pending.size > 0) {
      await Promise.all(
        SERVICES.filter((s) => pending.has(s.name)).map(async (service) => {
          if (await answersReady(ports[service.name]!)) {
            pending.delete(service.name);
            const ms = performance.now() - (startedAt.get(service.name) ?? started);
            log(`${service.name}: ready in ${(ms / 1000).toFixed(1)} s (${since()})`);
          }
        }),
      );
      if (pending.size === 0) break;
      const crashing = [...pending].filter((name) => (supervisor.exits.get(name) ?? 0) >= startAttempts);
      if (crashing.length > 0) {
        throw new Error(`${crashing.join(', ')} keeps exiting at start-up; see its log lines above`);
      }
      if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function answersReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false; // not listening yet
  }
}

function byName(name: ServiceSpec['name']): ServiceSpec {
  return SERVICES.find((s) => s.name === name)!;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
