/**
 * Refreshes the API types the web app is written against: starts the platform on a
 * throw-away database (or uses OPENAPI_URL when a stack is already running), saves the
 * gateway's merged OpenAPI document (public /api/v1 paths only) and generates
 * src/api/schema.gen.ts from it with openapi-typescript.
 *
 *   pnpm --filter @lumikb/web run api:types
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../scripts/lib/stack.ts';

const web = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

async function fetchSpec(url: string, expectPaths: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url);
    const spec = (await res.json()) as { paths?: Record<string, unknown> };
    // The gateway merges upstream documents in the background; wait until all are in.
    if (Object.keys(spec.paths ?? {}).length >= expectPaths || Date.now() > deadline) return spec;
    await new Promise((r) => setTimeout(r, 500));
  }
}

let spec: Record<string, unknown>;
if (process.env.OPENAPI_URL) {
  spec = await fetchSpec(process.env.OPENAPI_URL, 0);
} else {
  const id = randomBytes(4).toString('hex');
  const base = Number(process.env.OPENAPI_PORT_BASE ?? 19080);
  const stack = await startStack({
    env: {
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/lumikb_openapi_${id}`,
      NATS_PREFIX: `openapi${id}`,
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(base),
      AUTH_PORT: String(base + 1),
      REGISTRY_PORT: String(base + 2),
      KB_PORT: String(base + 3),
      INGESTION_WORKER_PORT: String(base + 4),
      PROXY_SYNC_PORT: String(base + 5),
    },
    log: (line) => process.stderr.write(`${line}\n`),
    // The spec comes from the services; the web build is not needed for it.
    skipWebBuild: true,
  });
  try {
    await stack.waitUntilReady();
    spec = await fetchSpec(`${stack.url}/docs/json`, 60);
  } finally {
    await stack.stop();
    execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', `lumikb_openapi_${id}`]);
  }
}

// The gateway's own catch-all proxy routes (`/api/v1/x/` and `/api/v1/x/{*}`) say nothing.
const paths = Object.fromEntries(
  Object.entries((spec.paths as Record<string, unknown>) ?? {}).filter(
    ([p]) => p.startsWith('/api/') && !p.endsWith('/') && !p.includes('{*}'),
  ),
);
spec = { ...spec, paths };
const out = join(mkdtempSync(join(tmpdir(), 'lumikb-openapi-')), 'openapi.json');
writeFileSync(out, JSON.stringify(spec));
execFileSync('npx', ['openapi-typescript', out, '-o', join(web, 'src/api/schema.gen.ts')], {
  cwd: web,
  stdio: 'inherit',
});
// The repo's formatter owns the file's style, so a regeneration only shows real changes.
execFileSync('npx', ['biome', 'format', '--write', join(web, 'src/api/schema.gen.ts')], { cwd: web, stdio: 'ignore' });
process.stderr.write(`generated types for ${Object.keys(paths).length} paths\n`);
