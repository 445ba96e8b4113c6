/** Cookie-authenticated writes must come from our own origin; bearer-token clients are exempt. */
import t from 'tap';
import { buildTestApp } from './helper.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];
const write = (app: App, headers: Record<string, string>, method: 'POST' | 'GET' = 'POST') =>
  app.inject({ method, url: '/api/v1/auth/logout', headers, ...(method === 'POST' ? { payload: {} } : {}) });
const COOKIE = { cookie: 'lumikb_access=abc; lumikb_refresh=def' };

t.test('a cookie-authenticated write from another site is refused before it reaches a service', async (t) => {
  const { app } = await buildTestApp(t);
  const forged = await write(app, { ...COOKIE, origin: 'https://evil.example' });
  t.equal(forged.statusCode, 403);
  t.match(forged.json(), { code: 'CSRF_ORIGIN_MISMATCH', details: { origin: 'https://evil.example' } });
  t.equal((await write(app, { ...COOKIE })).statusCode, 403, 'no Origin and no Referer: refused');
  t.equal((await write(app, { ...COOKIE, origin: 'null' })).statusCode, 403, 'an opaque origin: refused');

  const own = await write(app, { ...COOKIE, origin: 'http://localhost:80' });
  t.equal(own.statusCode, 200, 'our own origin passes');
  t.equal(own.json().upstream, 'auth');
  t.equal((await write(app, { ...COOKIE, referer: 'http://localhost/settings' })).statusCode, 200, 'or our Referer');
  t.equal(
    (await write(app, { ...COOKIE, origin: 'https://evil.example', authorization: 'Bearer x.y.z' })).statusCode,
    200,
    'a bearer token is never sent by a browser on its own: exempt',
  );
  t.equal((await write(app, { origin: 'https://evil.example' })).statusCode, 200, 'no session cookie: nothing to ride');
  t.equal((await write(app, { ...COOKIE, origin: 'https://evil.example' }, 'GET')).statusCode, 200, 'reads pass');
});

t.test('PUBLIC_ORIGINS names the origins the web app is served from', async (t) => {
  const { app } = await buildTestApp(t, { PUBLIC_ORIGINS: 'https://kb.example.com, https://kb2.example.com' });
  t.equal((await write(app, { ...COOKIE, origin: 'https://kb2.example.com' })).statusCode, 200);
  t.equal((await write(app, { ...COOKIE, origin: 'http://localhost' })).statusCode, 403, 'the Host no longer decides');
});
