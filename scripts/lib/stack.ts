/**
 * Brings the whole platform up on this machine: preflight of Postgres and NATS, the
 * database, migrations, development secrets, then every service as its own process.
 * Used by `pnpm start` and by the browser end-to-end suite's global setup.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkNats, checkPostgres } from './preflight.ts';
import { loadOrCreateDevSecrets } from './secrets.ts';
import { portOf, SERVICES } from './services.ts';
import { type ProcessSpec, Supervisor, serviceCommand } from './supervisor.ts';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface StackOptions {
  env?: NodeJS.ProcessEnv;
  /** Where development secrets live (default `.dev-secrets`). */
  secretsDir?: string;
  rawLogs?: boolean;
  log?: (line: string) => void;
  /** The e2e setup builds the web app itself. */
  skipWebBuild?: boolean;
}

export interface RunningStack {
  url: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
  waitUntilReady(timeoutMs?: number): Promise<void>;
}

const SECRET_VARIABLES = ['JWT_PUBLIC_KEY', 'JWT_PRIVATE_KEY', 'ENCRYPTION_KEYS', 'SERVICE_CLIENT_SECRET'] as const;

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/lumikb';
  env.NATS_URL ??= 'nats://127.0.0.1:4222';

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
  const { created } = await checkPostgres(env.DATABASE_URL);
  if (created) log(`created database ${new URL(env.DATABASE_URL).pathname.slice(1)}`);
  await checkNats(env.NATS_URL);

  const web = join(ROOT, 'web');
  if (existsSync(join(web, 'package.json')) && !existsSync(join(web, 'dist', 'index.html')) && !options.skipWebBuild) {
    log('building the web app (first start) …');
    const build = spawnSync('pnpm', ['--filter', '@lumikb/web', 'run', 'build'], { cwd: ROOT, env, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}${build.stderr}`);
  }

  log('running migrations …');
  const migrate = spawnSync('pnpm', ['-r', '--workspace-concurrency=1', '--silent', 'run', 'migrate'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  for (const line of migrate.stdout.trim().split('\n')) if (line.trim()) log(`  ${line.trim()}`);

  const urls = {
    AUTH_URL: `http://127.0.0.1:${portOf(SERVICES[0]!, env)}`,
    REGISTRY_URL: `http://127.0.0.1:${portOf(SERVICES[1]!, env)}`,
    KB_URL: `http://127.0.0.1:${portOf(SERVICES[2]!, env)}`,
    PROXY_SYNC_URL: `http://127.0.0.1:${portOf(SERVICES[4]!, env)}`,
    // Not called by anyone; named so the outbound policy can refuse them as model endpoints.
    INGESTION_WORKER_URL: `http://127.0.0.1:${portOf(SERVICES[3]!, env)}`,
    GATEWAY_URL: `http://127.0.0.1:${portOf(SERVICES[5]!, env)}`,
  };
  for (const [k, v] of Object.entries(urls)) env[k] ??= v;

  const specs: ProcessSpec[] = SERVICES.map((service) => ({
    name: service.name,
    cwd: join(ROOT, 'services', service.name),
    env: { ...env, PORT: String(portOf(service, env)) },
  }));
  const supervisor = new Supervisor(specs, { command: serviceCommand(ROOT), raw: options.rawLogs ?? false });
  supervisor.start();

  const gatewayPort = portOf(SERVICES.find((s) => s.name === 'gateway')!, env);
  const url = `http://localhost:${gatewayPort}`;
  return {
    url,
    env,
    stop: () => supervisor.stop(),
    async waitUntilReady(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      const pending = new Set(SERVICES.map((s) => s.name));
      while (pending.size > 0) {
        for (const service of SERVICES) {
          if (!pending.has(service.name)) continue;
          try {
            const res = await fetch(`http://127.0.0.1:${portOf(service, env)}/ready`, {
              signal: AbortSignal.timeout(1_000),
            });
            if (res.ok) pending.delete(service.name);
          } catch {
            // not listening yet
          }
        }
        if (pending.size === 0) break;
        const crashing = [...pending].filter((name) => (supervisor.exits.get(name) ?? 0) >= 3);
        if (crashing.length > 0) {
          throw new Error(`${crashing.join(', ')} keeps exiting at start-up; see its log lines above`);
        }
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
