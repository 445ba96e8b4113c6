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
    // Source maps are never published (the production build makes none; a stray one is a 404).
    allowedPath: (pathName) => !pathName.endsWith('.map'),
    setHeaders: (res, path) => void res.header('cache-control', cacheControl(path)),
  });
}

/**
 * Vite names everything under assets/ by its content hash, so those files may be cached
 * for ever; index.html must be revalidated (it names the current bundles), and the
 * unhashed files of public/ (favicon …) get a short lifetime.
 */
export function cacheControl(path: string): string {
  const normalised = path.replaceAll('\\', '/');
  if (normalised.endsWith('.html')) return 'no-cache';
  if (/\/assets\/[^/]+-[\w-]{8,}\.[a-z0-9]+$/i.test(normalised)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=3600';
}

/** index.html for page navigations that matched no file (client-side routes). */
export function spaFallback(root: string) {
  const indexHtml = join(root, 'index.html');
  // The sign-in page is a document of its own (no React: the first page stays small).
  const signInHtml = join(root, 'sign-in.html');
  return async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const path = request.url.split('?')[0] ?? '/';
    if (request.method === 'GET' && (path === '/sign-in' || path === '/sign-in/') && existsSync(signInHtml)) {
      await reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(await readFile(signInHtml));
      return true;
    }
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
