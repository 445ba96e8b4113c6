/**
 * A service started with missing or malformed configuration stops at once, naming every
 * variable to fix — not a half-started process that fails on its first request.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;

function start(service: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/server.ts'], {
      cwd: `${root}services/${service}`,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const SCHEMA_SERVICES = ['auth', 'registry', 'knowledge-base', 'ingestion-worker', 'proxy-sync'];

for (const service of [...SCHEMA_SERVICES, 'gateway']) {
  t.test(`${service} refuses to start without its configuration and names what is missing`, async (t) => {
    const { code, stderr } = await start(service, { PORT: 'not-a-port', NATS_URL: 'http://wrong-scheme' });
    t.equal(code, 1, 'exits with status 1');
    t.match(stderr, `${service}: invalid configuration`);
    t.match(stderr, /PORT="not-a-port" is invalid/);
    t.match(stderr, /JWT_PUBLIC_KEY is required/);
    if (SCHEMA_SERVICES.includes(service)) {
      t.match(stderr, /DATABASE_URL is required/);
      t.match(stderr, /NATS_URL="http:\/\/wrong-scheme" is invalid/);
    }
  });
}
