/** The app at phone width (390 px) and by keyboard: nothing overflows, the navigation drawer works. */
import { expect, test } from '../fixtures/test.ts';

const PAGES = [
  '/admin',
  '/admin/models',
  '/admin/config',
  '/admin/users',
  '/admin/groups',
  '/admin/kb-permissions',
  '/operations',
  '/operations/queue',
  '/operations/audit',
  '/operations/kb-stats',
];

test('every admin and operations page fits 390 px without sideways scrolling', async ({ page, signIn }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn('admin');
  for (const path of PAGES) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /Loading/ })).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
    await testInfo.attach(`${path} at 390 px`, { body: await page.screenshot(), contentType: 'image/png' });
  }
});

test('the navigation drawer opens and closes by keyboard on a phone', async ({ page, signIn }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn('operator');
  await page.goto('/operations');
  // The shell must be there before the first Tab (a hidden nav is also what a page still loading shows).
  await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await expect(nav).toBeHidden();
  // The first Tab reaches the skip link, the second the menu button.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Open navigation' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(nav).toBeVisible();
  await nav.getByRole('link', { name: 'Queue' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/operations\/queue$/);
  await expect(nav).toBeHidden();
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.keyboard.press('Escape');
  await expect(nav).toBeHidden();
});
