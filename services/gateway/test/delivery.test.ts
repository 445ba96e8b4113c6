/**
 * What a browser receives: compressed files and JSON (br or gzip, as offered), caching by
 * kind of file (hashed assets for ever, index.html revalidated), no source maps, and
 * server-sent events passed through uncompressed as they are written.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startFakeServer } from '@lumikb/test-kit';
import t from 'tap';
import { cacheControl } from '../src/static.ts';
import { buildTestApp } from './helper.ts';

const BUNDLE = `console.log(${JSON.stringify('x'.repeat(20_000))});\n`;

function spaDist(): string {
  const dist = mkdtempSync(join(tmpdir(), 'spa-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), `<!doctype html><title>LumiKB</title>${'<!-- pad -->'.repeat(200)}`);
  writeFileSync(join(dist, 'assets', 'index-DIPFUdIX.js'), BUNDLE);
  writeFileSync(join(dist, 'assets', 'index-DIPFUdIX.js.map'), '{"version":3,"sources":["secret.ts"]}');
  writeFileSync(join(dist, 'sign-in.html'), '<!doctype html><title>Sign in · LumiKB</title>');
  writeFileSync(join(dist, 'favicon.svg'), `<svg xmlns="http://www.w3.org/2000/svg">${' '.repeat(2000)}</svg>`);
  return dist;
}

t.test('static files are compressed as the browser offers, and cached by kind', async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: spaDist() });
  const url = '/assets/index-DIPFUdIX.js';

  const br = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(br.statusCode, 200);
  t.equal(br.headers['content-encoding'], 'br', 'br preferred when offered');
  t.equal(brotliDecompressSync(br.rawPayload).toString(), BUNDLE);
  t.ok(br.rawPayload.length < BUNDLE.length / 10, 'the bundle shrinks');
  t.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable', 'a hashed asset is immutable');
  t.match(br.headers.vary, /accept-encoding/i);

  const gz = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(gz.rawPayload).toString(), BUNDLE);

  const plain = await app.inject({ method: 'GET', url });
  t.equal(plain.headers['content-encoding'], undefined, 'nothing offered, nothing compressed');
  t.equal(plain.body, BUNDLE);

  const index = await app.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'br' } });
  t.equal(index.headers['content-encoding'], 'br');
  t.equal(index.headers['cache-control'], 'no-cache', 'index.html is revalidated');
  const deep = await app.inject({ method: 'GET', url: '/kbs/1', headers: { 'accept-encoding': 'gzip' } });
  t.equal(deep.headers['content-encoding'], 'gzip', 'the client-side route fallback too');
  t.equal(deep.headers['cache-control'], 'no-cache');

  const signIn = await app.inject({ method: 'GET', url: '/sign-in?next=%2Fkbs' });
  t.match(signIn.body, 'Sign in · LumiKB', 'the sign-in page is its own document');
  t.equal(signIn.headers['cache-control'], 'no-cache');

  const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
  t.equal(icon.headers['cache-control'], 'public, max-age=3600', 'unhashed files are not cached for ever');
});

t.test('source maps are not served', async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: spaDist() });
  const map = await app.inject({ method: 'GET', url: '/assets/index-DIPFUdIX.js.map' });
  t.equal(map.statusCode, 404);
  t.notMatch(map.body, 'secret.ts');
});

t.test('cache lifetimes by file name', async (t) => {
  t.equal(cacheControl('/srv/web/dist/index.html'), 'no-cache');
  t.equal(cacheControl('/srv/web/dist/assets/KbPage-B2x_9aQz.js'), 'public, max-age=31536000, immutable');
  t.equal(cacheControl('/srv/web/dist/assets/logo.svg'), 'public, max-age=3600');
  t.equal(cacheControl('/srv/web/dist/robots.txt'), 'public, max-age=3600');
});

t.test('proxied JSON is compressed; server-sent events stream through uncompressed', async (t) => {
  const list = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `KB ${i}` })) });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const kb = await startFakeServer(t, async (req, res) => {
    if (req.url?.startsWith('/api/v1/knowledge-bases')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(list);
      return;
    }
    if (req.url?.startsWith('/api/v1/chat')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: token\ndata: ${JSON.stringify({ text: 'first '.repeat(400) })}\n\n`);
      await released;
      res.end('event: done\ndata: {}\n\n');
      return;
    }
    res.writeHead(404).end();
  });
  const { app } = await buildTestApp(t, { KB_URL: kb.url });

  const json = await app.inject({
    method: 'GET',
    url: '/api/v1/knowledge-bases',
    headers: { 'accept-encoding': 'br, gzip' },
  });
  t.equal(json.statusCode, 200);
  t.equal(json.headers['content-encoding'], 'br');
  t.same(JSON.parse(brotliDecompressSync(json.rawPayload).toString()), JSON.parse(list));

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${address}/api/v1/chat`, {
    method: 'POST',
    headers: { 'accept-encoding': 'br, gzip', 'content-type': 'application/json', origin: 'http://localhost' },
    body: '{}',
  });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-encoding'), null, 'events are not compressed');
  const reader = res.body!.getReader();
  const first = await reader.read();
  t.match(new TextDecoder().decode(first.value), /^event: token/, 'the first event arrives before the stream ends');
  release();
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    rest += new TextDecoder().decode(chunk.value);
  }
  t.match(rest, /event: done/);
});
