/** A KB's retrieval test page: the ranked chunks of one query with their keyword/vector ranks and the mode that ran. */
import { DOCUMENTS, KBS, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';

test('retrieval test: ranked chunks with keyword and vector ranks, in the KB’s mode or another', async ({
  page,
  signIn,
}) => {
  await signIn('user');
  await page.goto(`/kbs/${seeded().kbs.handbook}/retrieval-test`);
  await expect(page.getByRole('heading', { level: 1, name: 'Retrieval test' })).toBeVisible();
  await expect(page.getByRole('link', { name: KBS.handbook.name })).toBeVisible();

  await page.getByRole('textbox', { name: 'Query' }).fill('paid vacation leave days');
  await page.getByRole('button', { name: 'Test' }).click();
  const table = page.getByRole('table', { name: 'Ranked chunks' });
  const first = table.getByRole('row').nth(1);
  await expect(first).toContainText(DOCUMENTS.ready.name);
  await expect(page.getByTestId('rt-summary')).toContainText('Ran hybrid');
  await expect(page.getByTestId('rt-score-legend')).toContainText('reciprocal-rank fusion');
  // Hybrid: the best chunk is first in at least one of the two rankings.
  const ranks = [
    await first.getByTestId('rt-lexical').textContent(),
    await first.getByTestId('rt-vector').textContent(),
  ];
  expect(ranks).toContain('1');

  await page.getByLabel('Mode').selectOption('keyword');
  await page.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('rt-summary')).toContainText('Ran keyword');
  await expect(page.getByTestId('rt-score-legend')).toContainText('BM25');
  await expect(first.getByTestId('rt-lexical')).toHaveText('1');
  await expect(first.getByTestId('rt-vector')).toHaveText('—');

  await page.getByLabel('Mode').selectOption('vector');
  await page.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('rt-summary')).toContainText('Ran vector');
  await expect(first.getByTestId('rt-vector')).toHaveText('1');
  await expect(first.getByTestId('rt-lexical')).toHaveText('—');

  // A query of only stop words finds nothing by keyword, and says so without an error.
  await page.getByLabel('Mode').selectOption('keyword');
  await page.getByRole('textbox', { name: 'Query' }).fill('the of and');
  await page.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('rt-summary')).toContainText('0 keyword terms');
  await expect(page.getByText('No chunk found')).toBeVisible();
});
