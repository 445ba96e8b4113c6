/**
 * Screenshots of pages for a visual check while developing:
 *   tsx support/shoot.ts <role> <path> [<path> …]   (E2E_BASE_URL, default http://localhost:18080)
 * Saves <out>/<name>-1280.png and -390.png (SHOTS_DIR, default /tmp/shots).
 */
import { chromium } from '@playwright/test';
import { type Role, USERS } from '../fixtures/data.ts';

const [role, ...paths] = process.argv.slice(2) as [Role, ...string[]];
const base = process.env.E2E_BASE_URL ?? 'http://localhost:18080';
const out = process.env.SHOTS_DIR ?? '/tmp/shots';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'],
});
for (const width of [1280, 390]) {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height: width === 390 ? 844 : 800 } });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && process.stderr.write(`console: ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`pageerror: ${e.message}\n`));
  if (role !== ('anon' as Role)) {
    await page.request.post('/api/v1/auth/login', {
      data: { email: USERS[role].email, password: USERS[role].password },
    });
  }
  for (const path of paths) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    const name = path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'root';
    await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: process.env.FULL === '1' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    process.stdout.write(`${path} @${width}: ${overflow > 0 ? `OVERFLOWS by ${overflow}px` : 'fits'}\n`);
  }
  await context.close();
}
await browser.close();
