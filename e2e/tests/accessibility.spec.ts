/**
 * Issue 18, accessibility: axe-core (WCAG 2 A and AA rules) over every page of the app, at
 * 1280 and 390 px, finds no serious or critical violation. One test per width visits every
 * page, so a new page is checked by adding its path here.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { appPages, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

/** Serious and critical violations on the page as it is now, one line per rule with the nodes it hit. */
async function seriousViolations(page: Page, path: string): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${path}: ${v.id} (${v.impact}, ${v.nodes.length} nodes) ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

for (const [width, height] of [
  [1280, 800],
  [390, 844],
] as const) {
  test(`no serious or critical axe violation on any page (${width} px)`, async ({ page, signIn }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width, height });
    const found: string[] = [];
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    found.push(...(await seriousViolations(page, '/sign-in')));
    await signIn('admin');
    for (const path of appPages(seeded())) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0);
      found.push(...(await seriousViolations(page, path)));
    }
    expect(found, found.join('\n')).toEqual([]);
  });
}
