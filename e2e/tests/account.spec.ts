/**
 * One's own account page (issue 17, point 5): reached from the top bar, it shows the groups
 * and level and the devices signed in; renaming, changing the password and signing out the
 * other sessions keep this browser signed in and end the others. Each test uses a fresh
 * user, so the seeded accounts' passwords never change.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { PASSWORD, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { ApiSession } from '../support/api.ts';

const NEW_PASSWORD = 'Another-e2e-pass-phrase-8';

// Three sign-ins and a password hash per test: slow steps on a loaded 2-core machine.
test.describe.configure({ timeout: 90_000 });

/** A new level-1 user, signed in in the page and on a second "device" (an API session). */
async function freshUserWithTwoSessions(page: Page, baseURL: string) {
  const email = `account-${randomBytes(4).toString('hex')}@e2e.lumikb.test`;
  const admin = await ApiSession.signIn(seeded().baseURL, USERS.admin.email, USERS.admin.password);
  try {
    await admin.post('/api/v1/admin/users', { email, password: PASSWORD, name: 'Fresh Person' });
  } finally {
    await admin.dispose();
  }
  const res = await page.request.post('/api/v1/auth/login', {
    data: { email, password: PASSWORD },
    headers: { origin: new URL(baseURL).origin },
  });
  expect(res.ok()).toBeTruthy();
  const otherDevice = await ApiSession.signIn(seeded().baseURL, email, PASSWORD);
  return { email, otherDevice };
}

const otherDeviceSignedIn = async (device: ApiSession) => (await device.ctx.get('/api/v1/auth/me')).status() === 200;

test('from the top bar to one’s account: rename, see access and sessions, change the password', async ({
  page,
  baseURL,
}) => {
  const { email, otherDevice } = await freshUserWithTwoSessions(page, baseURL!);
  try {
    await page.goto('/kbs');
    await page.getByRole('link', { name: 'Your account' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
    await expect(page.getByText(email)).toBeVisible();
    await expect(page.getByTestId('account-level')).toHaveText('User (1)');
    await expect(page.getByRole('list', { name: 'Your groups' })).toContainText('Users');

    const sessions = page.getByRole('table', { name: 'Active sessions' });
    await expect(sessions.getByRole('row')).toHaveCount(3); // header + two devices
    await expect(sessions.getByText('This session')).toHaveCount(1);

    await page.getByLabel('Name').fill('Renamed Person');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect(page.getByRole('banner').getByText('Renamed Person')).toBeVisible();

    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not-the-password-1');
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect(form.getByRole('alert')).toContainText('current password is incorrect');
    expect(await otherDeviceSignedIn(otherDevice), 'a refused change signs nobody out').toBe(true);

    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Password changed' })).toContainText(
      '1 other session signed out',
    );
    await expect(sessions.getByRole('row')).toHaveCount(2);
    expect(await otherDeviceSignedIn(otherDevice), 'the other device is signed out').toBe(false);

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
    await expect(sessions.getByText('This session')).toBeVisible();
    const relogin = await page.request.post('/api/v1/auth/login', {
      data: { email, password: NEW_PASSWORD },
      headers: { origin: new URL(baseURL!).origin },
    });
    expect(relogin.ok(), 'the new password works').toBeTruthy();
  } finally {
    await otherDevice.dispose();
  }
});

test('on a phone (390 px) the account page fits and signs the other sessions out', async ({ page, baseURL }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const { otherDevice } = await freshUserWithTwoSessions(page, baseURL!);
  try {
    await page.goto('/kbs');
    await page.getByRole('link', { name: 'Your account' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
    const sessions = page.getByRole('table', { name: 'Active sessions' });
    await expect(sessions.getByRole('row')).toHaveCount(3);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `the page overflows by ${overflow}px`).toBeLessThanOrEqual(0);

    await page.getByRole('button', { name: 'Sign out other sessions' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'other session signed out' })).toBeVisible();
    await expect(sessions.getByRole('row')).toHaveCount(2);
    await expect(page.getByRole('button', { name: 'Sign out other sessions' })).toBeDisabled();
    expect(await otherDeviceSignedIn(otherDevice)).toBe(false);
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  } finally {
    await otherDevice.dispose();
  }
});
