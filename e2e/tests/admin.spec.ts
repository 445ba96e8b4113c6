/** Administration: users, groups (system groups protected) and KB permissions. */
import { KBS, PASSWORD, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

test.beforeEach(async ({ signIn }) => {
  await signIn('admin');
});

test('an admin adds a user to a group; deactivating them stops their sign-in', async ({ page, browser }) => {
  const email = `e2e-${Date.now().toString(36)}@lumikb.test`;
  await page.goto('/admin/users');
  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a user' });
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByLabel('Name').fill('Nina New');
  await dialog.getByLabel('Password').fill('short');
  await dialog.getByLabel(/Operators/).check();
  await expect(dialog.getByLabel(/^Users/)).toBeDisabled();
  await dialog.getByRole('button', { name: 'Add user' }).click();
  // The server's password rule is shown, and nothing is created.
  await expect(dialog.getByRole('alert')).toContainText('WEAK_PASSWORD');
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog).toBeHidden();

  await page.getByLabel('Search').fill(email);
  const row = page.getByRole('row', { name: new RegExp(email) });
  await expect(row).toContainText('Operator');
  await expect(row).toContainText('Operators');

  await row.getByRole('button', { name: `Deactivate ${email}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await expect(row).toContainText('deactivated');

  const other = await browser.newContext({ baseURL: seeded().baseURL });
  const res = await other.request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(res.status()).toBe(401);
  await other.close();
});

test('system groups are shown as protected; a custom group can be created, given members and deleted', async ({
  page,
}) => {
  const name = `E2E Reviewers ${Date.now().toString(36)}`;
  await page.goto('/admin/groups');
  const admins = page.getByRole('row', { name: /^Administrators/ });
  await expect(admins).toContainText('System · protected');
  await expect(admins.getByRole('button', { name: 'Delete Administrators' })).toBeDisabled();
  await admins.getByRole('button', { name: 'Edit Administrators' }).click();
  await expect(page.getByRole('dialog').getByLabel('Permission level')).toBeDisabled();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Add group' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a group' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Permission level').selectOption('2');
  await dialog.getByRole('button', { name: 'Add group' }).click();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('2 · Operator');

  await row.getByRole('button', { name: `Members of ${name}` }).click();
  const members = page.getByRole('dialog', { name: `Members of ${name}` });
  await members.getByLabel('Add a member').selectOption({ label: `${USERS.user.name} <${USERS.user.email}>` });
  await members.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(members.getByRole('table')).toContainText(USERS.user.email);
  await members.getByRole('button', { name: 'Close' }).click();
  await expect(row.getByRole('cell').nth(2)).toHaveText('1');

  await row.getByRole('button', { name: `Delete ${name}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete group' }).click();
  await expect(row).toHaveCount(0);
});

test('KB permissions: grant a user WRITE, change it, and the last ADMIN cannot be revoked', async ({ page }) => {
  await page.goto('/admin/kb-permissions');
  await page.getByRole('button', { name: 'Grant access' }).click();
  const dialog = page.getByRole('dialog', { name: 'Grant access to a knowledge base' });
  await dialog.getByLabel('Knowledge base').selectOption({ label: KBS.ollama.name });
  await dialog.getByLabel('User').selectOption({ label: `${USERS.operator.name} <${USERS.operator.email}>` });
  await dialog.getByLabel('Permission').selectOption('WRITE');
  await dialog.getByRole('button', { name: 'Grant' }).click();
  await expect(dialog).toBeHidden();

  await page.getByLabel('Knowledge base').selectOption({ label: KBS.ollama.name });
  const grant = page.getByRole('row', { name: new RegExp(USERS.operator.email) });
  const select = grant.getByRole('combobox', { name: /Permission of/ });
  await expect(select).toHaveValue('WRITE');
  await select.selectOption('READ');
  await expect(page.getByRole('status').filter({ hasText: `now has READ on ${KBS.ollama.name}` })).toBeVisible();

  // The creator's ADMIN grant is the only one: revoking it is refused with the server's reason.
  const owner = page.getByRole('row', { name: new RegExp(USERS.admin.email) });
  await owner.getByRole('button', { name: /Revoke/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'LAST_KB_ADMIN' })).toBeVisible();
  await expect(owner).toBeVisible();

  // Leave the seeded grants as they were.
  await grant.getByRole('button', { name: /Revoke/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await expect(grant).toHaveCount(0);
});
