/** The Content Security Policy forbids inline script and style on every page we serve. */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SWAGGER_LOGO_STYLE } from '@lumikb/service-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';

const PLACEHOLDER = fileURLToPath(new URL('../public', import.meta.url));

function directive(csp: string, name: string): string {
  return (
    csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith(`${name} `)) ?? ''
  );
}

t.test('no page allows inline script or inline style', async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: PLACEHOLDER });
  for (const url of ['/', '/docs', '/some/client/route']) {
    const res = await app.inject({ method: 'GET', url });
    t.ok(res.statusCode < 400, `${url} is served (${res.statusCode})`);
    const csp = String(res.headers['content-security-policy'] ?? '');
    t.match(directive(csp, 'script-src'), /^script-src 'self'/, `${url} restricts scripts`);
    t.notMatch(directive(csp, 'script-src'), /unsafe-inline/, `${url}: no inline script`);
    t.notMatch(directive(csp, 'style-src'), /unsafe-inline/, `${url}: no inline style`);
  }
});

t.test('the pages themselves need no inline script or style, so the policy breaks nothing', async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: PLACEHOLDER });
  for (const url of ['/', '/docs']) {
    const res = await app.inject({ method: 'GET', url });
    t.match(res.headers['content-type'], /html/, `${url} is a page`);
    const html = res.body;
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${url} has no inline <script>`);
    t.notMatch(html, /<style/i, `${url} has no <style> element`);
    t.notMatch(html, /\son[a-z]+=/i, `${url} has no inline event handler`);
  }
  const css = await app.inject({ method: 'GET', url: '/placeholder.css' });
  t.equal(css.statusCode, 200, 'the placeholder styles come from a file');
});

t.test("/docs allows Swagger UI's one inline stylesheet by its hash, and nothing else does", async (t) => {
  const { app } = await buildTestApp(t, { WEB_DIST: PLACEHOLDER });
  const hash = `'sha256-${createHash('sha256').update(SWAGGER_LOGO_STYLE).digest('base64')}'`;
  const styleSrc = async (url: string) =>
    directive(String((await app.inject({ method: 'GET', url })).headers['content-security-policy']), 'style-src');
  t.equal(await styleSrc('/docs'), `style-src 'self' ${hash}`);
  t.equal(await styleSrc('/'), "style-src 'self'", 'the web app gets no exception');
  // The hash is only right while the logo's stylesheet is this text: an upgrade that
  // changes it must update SWAGGER_LOGO_STYLE (the logo would lose its colours otherwise).
  const preset = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-standalone-preset.js' });
  t.equal(preset.statusCode, 200);
  t.ok(preset.body.includes(`"${SWAGGER_LOGO_STYLE}"`), 'Swagger UI still renders exactly this stylesheet');
});
