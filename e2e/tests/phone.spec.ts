/** Issue 18: phones get cards instead of sideways tables, folded filters, and the queue's list agrees with its cards. */
import { DOCUMENTS, MODELS, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, unique } from '../support/kb.ts';

const PHONE = { width: 390, height: 844 };

/** The frame does not scroll sideways, and the button lies inside the screen's width. */
async function reachable(page: import('@playwright/test').Page, frameName: string, button: string) {
  const frame = page.getByRole('region', { name: frameName, exact: true }).and(page.locator('.table-frame'));
  await expect(frame).toBeVisible();
  const overflow = await frame.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow, `${frameName} scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(1);
  const target = page.getByRole('button', { name: button });
  await target.scrollIntoViewIfNeeded();
  await expect(target).toBeInViewport({ ratio: 1 });
  const box = await target.boundingBox();
  expect((box?.x ?? 999) + (box?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
}

test('on a phone, tables are cards with their actions in reach', async ({ page, signIn }) => {
  await page.setViewportSize(PHONE);
  await signIn('admin');
  await page.goto('/admin/models');
  await expect(page.getByRole('row', { name: new RegExp(MODELS.ollamaEmbedding.name) })).toBeVisible();
  await reachable(page, 'Models', `Delete ${MODELS.ollamaEmbedding.name}`);
  // A card's secondary cells say which column they are.
  await expect(
    page.getByRole('row', { name: new RegExp(MODELS.ollamaEmbedding.name) }).locator('td[data-label="Health"]'),
  ).toBeVisible();

  await page.goto(`/kbs/${seeded().kbs.handbook}`);
  await expect(page.getByRole('row', { name: new RegExp(DOCUMENTS.broken.name) })).toBeVisible();
  await reachable(page, 'Documents', `Retry ${DOCUMENTS.broken.name}`);
});

test('on a phone the audit filters fold behind one button; on a desktop they are open', async ({ page, signIn }) => {
  await signIn('admin');
  await page.setViewportSize(PHONE);
  await page.goto('/operations/audit');
  const table = page.getByRole('table', { name: 'Audit entries' });
  await expect(table.getByRole('row').nth(1)).toBeInViewport();
  await expect(page.getByLabel('Actor')).toBeHidden();
  const toggle = page.getByRole('button', { name: 'Filters' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(page.getByLabel('Actor')).toBeVisible();
  await page.getByLabel('Outcome').selectOption('failure');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/outcome=failure/);
  await page.getByRole('button', { name: 'Hide filters (1 active)' }).click();
  await expect(page.getByLabel('Actor')).toBeHidden();

  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByLabel('Actor')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Filters/ })).toBeHidden();
});

test('the queue list agrees with its Failed card, also when a knowledge base filter hides the failures', async ({
  page,
  signIn,
}) => {
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Queue empty') });
  try {
    // The admin reads every KB, so the new one is listed by name (an operator sees only its id).
    await signIn('admin');
    await page.goto('/operations/queue');
    const failedCard = page.getByRole('region', { name: 'Queue status' }).locator('.stat-card', { hasText: 'Failed' });
    await expect(failedCard.locator('.stat-value')).toHaveText(/^\d+$/);
    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    await page.getByLabel('Knowledge base').selectOption({ label: kb.name });
    const failed = Number(await failedCard.locator('.stat-value').textContent());
    expect(failed).toBeGreaterThan(0);
    // Not a bare "No failed documents" under a card that says otherwise.
    await expect(page.getByText(`No failed documents in ${kb.name}`)).toBeVisible();
    await expect(page.getByText(`${failed} failed in other knowledge bases.`)).toBeVisible();
    await page.getByRole('button', { name: 'Show failed documents of all knowledge bases' }).click();
    await expect(page.getByLabel('Knowledge base')).toHaveValue('');
    const table = page.getByRole('table', { name: 'Processing tasks' });
    await expect
      .poll(async () => (await table.getByRole('row').count()) - 1)
      .toBe(Number(await failedCard.locator('.stat-value').textContent()));
  } finally {
    await deleteKb(api, kb.id);
    await api.dispose();
  }
});
