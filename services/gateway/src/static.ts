/**
 * The SPA: files from its build output, and index.html for any other non-API GET so
 * client-side routes survive a reload or a deep link.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// This module sits one folder below the package (src/ in dev, dist/ when bundled),
// so the same relative paths hold in both.
const here = fileURLToPath(new URL('.', import.meta.url));
const BUILT_SPA = resolve(here, '../../../web/dist');
const PLACEHOLDER = resolve(here, '../public');

export function spaRoot(configured: string): string {
  if (configured) return resolve(configured);
  return existsSync(join(BUILT_SPA, 'index.html')) ? BUILT_SPA : PLACEHOLDER;
}

export async function installSpa(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Looked up per request, so a web build replaced while the gateway runs is served.
    wildcard: true,
    index: ['index.html'],
    // Hashed assets may be cached for ever; index.html must not be.
    setHeaders: (res, path) => {
      void res.header(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}

/** index.html for page navigations that matched no file (client-side routes). */
export function spaFallback(root: string) {
  const indexHtml = join(root, 'index.html');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const path = request.url.split('?')[0] ?? '/';
    // A missing asset (a name with an extension) is a 404, never index.html: a stale
    // page asking for old bundles must fail visibly, not load HTML as JavaScript.
    const isAsset = /\.[a-z0-9]+$/i.test(path.split('/').pop() ?? '');
    const isPage = request.method === 'GET' && !isAsset && !path.startsWith('/api/') && !path.startsWith('/docs');
    if (!isPage || !existsSync(indexHtml)) return false;
    await reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(await readFile(indexHtml));
    return true;
  };
}
