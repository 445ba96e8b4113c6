/**
 * Issue 18, delivery: the sign-in page a visitor loads first stays within 60 KB of gzip
 * JavaScript (it has no React; the app's pages are split and load after sign-in), files
 * arrive compressed, hashed assets are immutable, and no source map is published.
 */
import { gzipSync } from 'node:zlib';
import type { Page } from '@playwright/test';
import { USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

const BUDGET = 60 * 1024;

/** Every script the page loaded, with the body the browser decoded and the encoding it came in. */
function recordScripts(page: Page) {
  const scripts: { url: string; body: Promise<Buffer>; encoding: Promise<string | null> }[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script') return;
    scripts.push({ url: response.url(), body: response.body(), encoding: response.headerValue('content-encoding') });
  });
  return scripts;
}

for (const width of [1280, 390]) {
  test(`the sign-in page loads at most 60 KB of gzip JavaScript, compressed and cacheable (${width} px)`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    const scripts = recordScripts(page);
    await page.goto('/sign-in', { waitUntil: 'networkidle' });
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    expect(scripts.length, 'the page has its script').toBeGreaterThan(0);
    let gzipBytes = 0;
    for (const s of scripts) {
      gzipBytes += gzipSync(await s.body, { level: 9 }).length;
      expect(await s.encoding, `${s.url} is compressed`).toMatch(/^(br|gzip)$/);
    }
    expect(gzipBytes, `sign-in JavaScript: ${gzipBytes} bytes gzip`).toBeLessThanOrEqual(BUDGET);

    // The app's pages are not part of it: they arrive after sign-in.
    const names = scripts.map((s) => new URL(s.url).pathname).join(' ');
    expect(names).not.toMatch(/ModelsPage|KbPage|ChatPage/);
  });
}

test('after sign-in a page loads its own chunk; assets are immutable and source maps absent', async ({ page }) => {
  const scripts = recordScripts(page);
  await page.goto('/sign-in?next=%2Fadmin%2Fmodels');
  await page.getByLabel('Email').fill(USERS.admin.email);
  await page.getByLabel('Password').fill(USERS.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
  const paths = scripts.map((s) => new URL(s.url).pathname);
  expect(
    paths.some((p) => /\/assets\/ModelsPage-/.test(p)),
    'the Models page is its own chunk',
  ).toBe(true);
  expect(
    paths.some((p) => /\/assets\/UsersPage-/.test(p)),
    'pages not opened are not loaded',
  ).toBe(false);

  const asset = paths.find((p) => p.startsWith('/assets/'))!;
  const res = await page.request.get(asset);
  expect(res.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect((await page.request.get(`${asset}.map`)).status()).toBe(404);
  expect(await res.text()).not.toContain('sourceMappingURL');
  const html = await page.request.get('/');
  expect(html.headers()['cache-control']).toBe('no-cache');
});
