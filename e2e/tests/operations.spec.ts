/** Operations: the hub's live figures, audit entries appearing with filters, KB statistics. */
import { KBS, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

test('an admin change appears in the audit log with its actor and before/after values', async ({ page, signIn }) => {
  const description = `Operations staff (edited ${Date.now().toString(36)})`;
  await signIn('admin');
  await page.goto('/admin/groups');
  await page.getByRole('button', { name: 'Edit Operators' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit Operators' });
  await dialog.getByLabel('Description').fill(description);
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect(dialog).toBeHidden();

  await signIn('operator');
  await page.goto('/operations/audit');
  const filters = page.getByRole('form', { name: 'Audit filters' });
  await filters.getByLabel('Action').fill('group.*');
  // Operators look actors up by id; they see e-mails masked (docs/security.md).
  await filters.getByLabel('Actor').fill(seeded().users.admin.id);
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  // Filters are kept in the address, so the view can be shared.
  await expect(page).toHaveURL(/action=group\.\*/);
  const entries = page.getByRole('table', { name: 'Audit entries' });
  const first = entries.getByRole('row').nth(1);
  await expect(first).toContainText('group.update');
  await expect(first).toContainText(`${USERS.admin.email[0]}***@${USERS.admin.email.split('@')[1]}`);
  await expect(first).not.toContainText(USERS.admin.email);
  await first.getByRole('button', { name: /Show details of group\.update/ }).click();
  await expect(entries).toContainText(description);

  // A filter that matches nothing says so.
  await filters.getByLabel('Action').fill('no.such.action');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByText('No entry matches these filters')).toBeVisible();
});

test('the operations hub shows live figures that lead to their pages; KB stats per knowledge base', async ({
  page,
  signIn,
}) => {
  await signIn('operator');
  await page.goto('/operations');
  const workers = page.getByRole('link', { name: /Workers connected/ });
  await expect(workers).toContainText(/Workers connected\s*1/);
  await page
    .getByRole('main')
    .getByRole('link', { name: /^Knowledge bases \d/ })
    .click();
  await expect(page).toHaveURL(/\/operations\/kb-stats$/);

  const table = page.getByRole('table', { name: 'Knowledge base statistics' });
  const handbook = table.getByRole('row', { name: new RegExp(KBS.handbook.name) });
  await expect(handbook).toContainText('ready');
  await expect(handbook.getByRole('cell').nth(2)).not.toHaveText('0');
  await page.getByLabel('Filter by name').fill('ollama');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table).toContainText(KBS.ollama.name);
  await expect(page.getByRole('region', { name: 'Totals' })).toContainText('Knowledge bases');
});
