/** 7-11: sign-in, navigation by level, route guards, sign-out, deep links. */
import { USERS } from '../fixtures/data.ts';
import { expect, navigation, test } from '../fixtures/test.ts';

test('signing in with the form lands in the workspace; a wrong password shows the server message', async ({ page }) => {
  await page.goto('/admin/models');
  // A deep link while signed out goes to sign-in and comes back afterwards.
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fmodels/);
  await page.getByLabel('Email').fill(USERS.admin.email);
  await page.getByLabel('Password').fill('not-the-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Sign-in failed');
  await expect(page.getByRole('alert')).toContainText('INVALID_CREDENTIALS');

  await page.getByLabel('Password').fill(USERS.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/models$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Models' })).toBeVisible();
  // The level shows once: as a badge, or not at all when the name is the level (the first admin's "Administrator").
  const header = page.getByRole('banner');
  await expect(header).toContainText('Administrator');
  await expect(header).not.toContainText(/Administrator\s*Administrator/);
});

test('a user sees the workspace only; operations and admin routes say "not permitted"', async ({ page, signIn }) => {
  await signIn('user');
  await page.goto('/');
  await expect(page).toHaveURL(/\/kbs$/);
  expect(await navigation(page)).toEqual({ Workspace: ['Knowledge bases', 'Search', 'Chat'] });
  await expect(page.getByTestId('user-level')).toHaveText('User');

  for (const path of ['/operations/queue', '/admin/users']) {
    await page.goto(path);
    await expect(page.getByTestId('not-permitted')).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('You do not have access');
  }
});

test('an operator gets the Operations menu but not Admin', async ({ page, signIn }) => {
  await signIn('operator');
  await page.goto('/operations');
  expect(await navigation(page)).toEqual({
    Workspace: ['Knowledge bases', 'Search', 'Chat'],
    Operations: ['Dashboard', 'Audit', 'Queue', 'KB Stats'],
  });
  await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeVisible();
  await page.goto('/admin/models');
  await expect(page.getByTestId('not-permitted')).toContainText('Administrator');
});

test('an admin gets every menu; sign-out ends the session', async ({ page, signIn }) => {
  await signIn('admin');
  await page.goto('/admin');
  expect(await navigation(page)).toEqual({
    Workspace: ['Knowledge bases', 'Search', 'Chat'],
    Operations: ['Dashboard', 'Audit', 'Queue', 'KB Stats'],
    Admin: ['Dashboard', 'Users', 'Groups', 'KB Permissions', 'Config', 'Models'],
  });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  // The session is really gone: a reload of an app page goes back to sign-in.
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/sign-in/);
});

test('unknown pages show a not-found page inside the app', async ({ page, signIn }) => {
  await signIn('user');
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'There is no page here' })).toBeVisible();
});

test('an expired access token is renewed with the refresh cookie without leaving the page', async ({
  page,
  context,
  signIn,
}) => {
  await signIn('operator');
  await page.goto('/operations');
  await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeVisible();
  // The access cookie is gone (as when it expires); the refresh cookie remains.
  await context.clearCookies({ name: 'lumikb_access' });
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('table', { name: 'Audit entries' })).toBeVisible();
  expect((await context.cookies()).some((c) => c.name === 'lumikb_access')).toBe(true);

  // Without any session the app returns to sign-in, remembering where the user was.
  await context.clearCookies();
  await page.reload();
  await expect(page).toHaveURL(/\/sign-in\?next=%2Foperations%2Faudit/);
});
