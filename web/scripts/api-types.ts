/**
 * How web/src/api/schema.gen.ts is made from the gateway's merged OpenAPI document, in one
 * place: the generator (scripts/openapi.ts) writes it, and the browser suite
 * (e2e/tests/api-types.spec.ts) checks that the committed file is what the running
 * services produce today — a route or schema changed without regenerating fails CI.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';

export const WEB_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const API_TYPES_FILE = resolve(WEB_ROOT, 'src/api/schema.gen.ts');

/**
 * The public API only: /api/ paths, without the gateway's own catch-all proxy routes
 * (`/api/v1/x/` and `/api/v1/x/{*}`), which say nothing. Paths sorted, so the file does
 * not depend on the order in which the gateway merged the services' documents.
 */
export function publicApiDocument(spec: Record<string, unknown>): OpenAPI3 {
  const all = (spec.paths as Record<string, unknown>) ?? {};
  const paths = Object.fromEntries(
    Object.keys(all)
      .filter((p) => p.startsWith('/api/') && !p.endsWith('/') && !p.includes('{*}'))
      .sort()
      .map((p) => [p, all[p]]),
  );
  const { 'x-lumikb-missing-upstreams': _missing, ...document } = spec;
  return { ...document, paths } as OpenAPI3;
}

/** The TypeScript source of schema.gen.ts for a merged OpenAPI document, formatted as the repo formats it. */
export async function renderApiTypes(spec: Record<string, unknown>): Promise<string> {
  const source = COMMENT_HEADER + astToString(await openapiTS(publicApiDocument(spec)));
  // The repo's formatter owns the file's style, so a regeneration only shows real changes.
  return execFileSync(
    resolve(WEB_ROOT, '../node_modules/.bin/biome'),
    ['format', `--stdin-file-path=${API_TYPES_FILE}`],
    {
      cwd: WEB_ROOT,
      input: source,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** Number of public paths the document has. */
export const publicPathCount = (spec: Record<string, unknown>) =>
  Object.keys(publicApiDocument(spec).paths ?? {}).length;

/** True once the gateway has merged every service's document (it fetches them in the background). */
export const isComplete = (spec: Record<string, unknown>) =>
  Array.isArray(spec['x-lumikb-missing-upstreams']) && spec['x-lumikb-missing-upstreams'].length === 0;
