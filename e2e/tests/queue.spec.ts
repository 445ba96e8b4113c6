/** 7-27 Queue monitoring: live figures, step breakdown of a failure, bulk retry with per-document results. */
import { randomUUID } from 'node:crypto';
import { DOCUMENTS, KBS, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { ApiSession } from '../support/api.ts';

test.beforeEach(async ({ signIn }) => {
  await signIn('operator');
});

test('a failed document shows its step breakdown with the error on the failed step', async ({ page }) => {
  await page.goto('/operations/queue');
  await expect(page.getByRole('region', { name: 'Queue status' })).toContainText('Workers');
  await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
  const table = page.getByRole('table', { name: 'Processing tasks' });
  const row = table.getByRole('row', { name: new RegExp(DOCUMENTS.broken.name) });
  await expect(row).toContainText(KBS.handbook.name);
  await expect(row).toContainText(/parse\s*failed/i);

  await row.getByRole('button', { name: `Show details of ${DOCUMENTS.broken.name}` }).click();
  const steps = page.getByRole('list', { name: `Processing steps of ${DOCUMENTS.broken.name}` });
  await expect(steps.locator('[data-step="upload"]')).toContainText('done');
  await expect(steps.locator('[data-step="parse"]')).toContainText('failed');
  await expect(steps.locator('[data-step="embed"]')).toContainText('skipped');

  // The failed step's badge explains itself on keyboard focus (tooltip).
  const badge = steps.locator('[data-step="parse"]').getByRole('button', { name: 'failed' });
  await badge.focus();
  await expect(page.getByRole('tooltip').filter({ hasText: 'The PDF cannot be read' })).toBeVisible();
});

test('bulk retry queues the selected failures again and reports each one that could not be retried', async ({
  page,
}) => {
  const data = seeded();
  const admin = await ApiSession.signIn(data.baseURL, USERS.admin.email, USERS.admin.password);
  try {
    // Bytes of their own (the same file twice is refused as DUPLICATE_DOCUMENT), just as unreadable.
    const brokenCopy = () => `${DOCUMENTS.broken.body}%${randomUUID()}\n`;
    const a = await admin.upload(data.kbs.ollama, 'bulk-a.pdf', brokenCopy(), 'application/pdf');
    const b = await admin.upload(data.kbs.ollama, 'bulk-b.pdf', brokenCopy(), 'application/pdf');
    await admin.waitForDocument(data.kbs.ollama, a.id, ['FAILED']);
    await admin.waitForDocument(data.kbs.ollama, b.id, ['FAILED']);

    await page.goto('/operations/queue');
    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    await page.getByLabel('Knowledge base').selectOption({ label: KBS.ollama.name });
    const table = page.getByRole('table', { name: 'Processing tasks' });
    await expect(table.getByRole('row')).toHaveCount(3);
    await table.getByRole('checkbox', { name: 'Select all' }).check();
    await expect(page.getByRole('button', { name: 'Retry selected (2)' })).toBeEnabled();

    // One of them disappears before the retry arrives: the result must say so for that one.
    expect((await admin.delete(`/api/v1/knowledge-bases/${data.kbs.ollama}/documents/${b.id}`)).status()).toBe(204);
    await page.getByRole('button', { name: 'Retry selected (2)' }).click();
    const outcome = page.getByTestId('retry-outcome');
    await expect(outcome).toContainText('1 queued again, 1 not retried');
    await expect(outcome).toContainText(`bulk-b.pdf (${KBS.ollama.name})`);

    // The retried document runs again and fails again at parse, now on its second attempt.
    const row = table.getByRole('row', { name: /bulk-a\.pdf/ });
    await expect(row.getByRole('cell').nth(5)).toHaveText('2', { timeout: 20_000 });
  } finally {
    await admin.dispose();
  }
});
