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
import { writeFileSync } from 'node:fs';
import { startStack } from '../../scripts/lib/stack.ts';
import { API_TYPES_FILE, isComplete, publicPathCount, renderApiTypes } from './api-types.ts';

async function fetchSpec(url: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url);
    const spec = (await res.json()) as Record<string, unknown>;
    // The gateway merges upstream documents in the background; wait until all are in.
    if (isComplete(spec)) return spec;
    if (Date.now() > deadline)
      throw new Error(`the gateway's document still lacks ${spec['x-lumikb-missing-upstreams']}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let spec: Record<string, unknown>;
if (process.env.OPENAPI_URL) {
  spec = await fetchSpec(process.env.OPENAPI_URL);
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
    spec = await fetchSpec(`${stack.url}/docs/json`);
  } finally {
    await stack.stop();
    execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', `lumikb_openapi_${id}`]);
  }
}

writeFileSync(API_TYPES_FILE, await renderApiTypes(spec));
process.stderr.write(`generated types for ${publicPathCount(spec)} paths\n`);
