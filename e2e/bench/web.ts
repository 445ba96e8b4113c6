/**
 * `pnpm bench web`: what each page costs a first-time visitor (cold cache): the bytes
 * that crossed the wire (as compressed) and the time until the network went quiet, at
 * 1280×800 and 390×844, each next to the sign-in page measured in the same run. Starts
 * the e2e stack (or uses E2E_BASE_URL) with Debian's Chromium; never downloads a browser.
 */
import { type Browser, chromium } from '@playwright/test';
import type { SeedData } from '../fixtures/data.ts';
import { appPages, USERS } from '../fixtures/data.ts';
import globalSetup from '../support/global-setup.ts';

const WIDTHS = [
  { name: '1280', viewport: { width: 1280, height: 800 } },
  { name: '390', viewport: { width: 390, height: 844 } },
] as const;

interface Load {
  bytes: number;
  jsBytes: number;
  ms: number;
}

async function firstLoad(
  browser: Browser,
  baseURL: string,
  path: string,
  viewport: { width: number; height: number },
  signedIn: boolean,
): Promise<Load> {
  const context = await browser.newContext({ baseURL, viewport });
  try {
    if (signedIn) {
      const res = await context.request.post('/api/v1/auth/login', {
        data: { email: USERS.admin.email, password: USERS.admin.password },
        headers: { origin: new URL(baseURL).origin },
      });
      if (!res.ok()) throw new Error(`sign-in failed: ${res.status()}`);
    }
    const page = await context.newPage();
    const finished: Promise<void>[] = [];
    let bytes = 0;
    let jsBytes = 0;
    page.on('requestfinished', (request) => {
      finished.push(
        request.sizes().then((s) => {
          bytes += s.responseBodySize + s.responseHeadersSize;
          if (request.resourceType() === 'script') jsBytes += s.responseBodySize;
        }),
      );
    });
    const started = performance.now();
    await page.goto(path, { waitUntil: 'networkidle' });
    const ms = performance.now() - started;
    await Promise.all(finished);
    return { bytes, jsBytes, ms };
  } finally {
    await context.close();
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export async function benchWeb(): Promise<Record<string, unknown>> {
  const teardown = await globalSetup({} as never);
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const out: Record<string, unknown> = {};
  try {
    const baseURL = process.env.E2E_BASE_URL_RESOLVED!;
    const seed = JSON.parse(process.env.E2E_SEED!) as SeedData;
    for (const width of WIDTHS) {
      // The sign-in page first: the baseline every other page is compared with.
      await firstLoad(browser, baseURL, '/sign-in', width.viewport, false); // warm the server
      const base = await firstLoad(browser, baseURL, '/sign-in', width.viewport, false);
      out[`${width.name} /sign-in`] = `${kb(base.bytes)} (JS ${kb(base.jsBytes)}), ${base.ms.toFixed(0)} ms`;
      for (const path of appPages(seed)) {
        const load = await firstLoad(browser, baseURL, path, width.viewport, true);
        const label = path.replace(seed.kbs.handbook, ':kb').replace(seed.documents.ready, ':doc');
        out[`${width.name} ${label}`] =
          `${kb(load.bytes)} (JS ${kb(load.jsBytes)}), ${load.ms.toFixed(0)} ms` +
          ` — ×${(load.bytes / base.bytes).toFixed(1)} bytes, ×${(load.ms / base.ms).toFixed(1)} time of sign-in`;
      }
    }
  } finally {
    await browser.close();
    await teardown();
  }
  return out;
}
