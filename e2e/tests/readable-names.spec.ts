/** Issue 18: pages speak the user's language, not the platform's internal names. */
import { KBS, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

test('a KB page names the access level in words and shows no collection id', async ({ page, signIn }) => {
  await signIn('user');
  await page.goto(`/kbs/${seeded().kbs.handbook}`);
  await expect(page.getByRole('heading', { level: 1, name: KBS.handbook.name })).toBeVisible();
  const access = page.getByRole('definition').filter({ hasText: 'Read only' });
  await expect(access).toContainText('search, chat and open documents');
  const summary = page.getByLabel('Knowledge base summary');
  await expect(summary).not.toContainText(/\bREAD\b/);
  await expect(summary).not.toContainText(/kb_[0-9a-f]{8}/);
  // The KB list's badge says it the same way.
  await page.goto('/kbs');
  await expect(page.getByRole('listitem').filter({ hasText: KBS.handbook.name }).first()).toContainText('Read only');
});

test('audit actors read as people, not as "system anonymou" or "system system"', async ({
  page,
  signIn,
  playwright,
  baseURL,
}) => {
  // A sign-in with a wrong password is recorded with no user behind it.
  const stranger = await playwright.request.newContext({ baseURL });
  await stranger.post('/api/v1/auth/login', { data: { email: 'nobody@example.invalid', password: 'wrong-password' } });
  await stranger.dispose();

  await signIn('admin');
  await page.goto('/operations/audit?actor=anonymous');
  const table = page.getByRole('table', { name: 'Audit entries' });
  await expect(table.getByRole('row').nth(1)).toContainText('Anonymous (not signed in)');
  await expect(table).not.toContainText(/system anonymou/i);

  // The first administrator was created by the platform itself.
  await page.goto('/operations/audit?actor=system');
  await expect(table.getByRole('row').nth(1)).toContainText('System');
  await expect(table).not.toContainText(/system system/i);
});

test('the header does not repeat a name that is the access level ("Administrator Administrator")', async ({
  page,
  signIn,
}) => {
  await signIn('admin');
  // The first administrator of a fresh install is called "Administrator".
  await page.route('**/api/v1/auth/me', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), name: 'Administrator' } });
  });
  await page.goto('/');
  const header = page.getByRole('banner');
  await expect(header.getByRole('link', { name: 'Your account: Administrator' })).toBeVisible();
  await expect(header).not.toContainText(/Administrator\s*Administrator/);
  await expect(page.getByTestId('user-level')).toHaveCount(0);
});
