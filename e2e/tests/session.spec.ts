/** Signing out ends the session on the server even when the access token has expired. */
import { expect, test } from '../fixtures/test.ts';

test('signing out with an expired access token still ends the session (the refresh cookie does not resume it)', async ({
  page,
  context,
  signIn,
}) => {
  await signIn('user');
  await page.goto('/kbs');
  await expect(page.getByRole('heading', { level: 1, name: 'Knowledge bases' })).toBeVisible();
  // The access cookie is gone, as when it expires; logout needs a valid one.
  await context.clearCookies({ name: 'lumikb_access' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await context.cookies()).map((c) => c.name)).not.toContain('lumikb_refresh');
  await page.goto('/kbs');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fkbs/);
});
