/** 7-8 Document viewer: text and chunks in a split pane whose panels scroll independently, before and after resizing. */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, longManual, unique } from '../support/kb.ts';

const scrollTop = (l: Locator) => l.evaluate((el) => el.scrollTop);
const pageScroll = (page: Page) => page.evaluate(() => window.scrollY);

/** Wheel over one panel; it must scroll, and neither the other panel nor the page may move. */
async function assertIsolated(page: Page, scrolled: Locator, other: Locator, deltaY = 600) {
  const otherBefore = await scrollTop(other);
  const pageBefore = await pageScroll(page);
  const before = await scrollTop(scrolled);
  const box = (await scrolled.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, deltaY);
  await expect.poll(() => scrollTop(scrolled)).toBeGreaterThan(before);
  expect(await scrollTop(other)).toBe(otherBefore);
  expect(await pageScroll(page)).toBe(pageBefore);
}

let kbId = '';
let docId = '';

test.beforeAll(async () => {
  const api = await adminApi();
  try {
    const kb = await createKb(api, { name: unique('E2E Viewer') });
    kbId = kb.id;
    docId = (await api.upload(kbId, 'maintenance-manual.txt', longManual(), 'text/plain')).id;
    await api.waitForDocument(kbId, docId, ['READY']);
  } finally {
    await api.dispose();
  }
});

test.afterAll(async () => {
  if (!kbId) return;
  const api = await adminApi();
  await deleteKb(api, kbId);
  await api.dispose();
});

test('text and chunk panels scroll independently, before and after resizing the divider', async ({ page, signIn }) => {
  await signIn('admin');
  await page.goto(`/kbs/${kbId}/documents/${docId}`);
  const text = page.getByRole('region', { name: 'Document text' });
  const chunks = page.getByRole('region', { name: 'Chunks' });
  await expect(page.getByTestId('document-text')).toContainText('Section 60.');
  const count = await chunks.getByRole('button').count();
  expect(count).toBeGreaterThan(20);

  // Both panels overflow: each is its own scroll container.
  for (const panel of [text, chunks]) {
    expect(await panel.evaluate((el) => el.scrollHeight > el.clientHeight + 200)).toBe(true);
  }
  await assertIsolated(page, text, chunks);
  await assertIsolated(page, chunks, text);

  // Drag the divider to the left: the text panel narrows, the chunk panel widens.
  const handle = page.getByRole('separator', { name: 'Resize the panels' });
  const widthBefore = (await text.boundingBox())!.width;
  const h = (await handle.boundingBox())!;
  await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
  await page.mouse.down();
  await page.mouse.move(h.x - 120, h.y + h.height / 2, { steps: 5 });
  await page.mouse.move(h.x - 240, h.y + h.height / 2, { steps: 5 });
  await page.mouse.up();
  const widthAfter = (await text.boundingBox())!.width;
  expect(widthAfter).toBeLessThan(widthBefore - 150);
  await expect(handle).toHaveAttribute('aria-valuenow', /^[2-4]\d$/);

  // After the resize: still independent, in both directions, and the page never moves.
  await assertIsolated(page, text, chunks);
  await assertIsolated(page, chunks, text);
  // Scrolling past the end of a panel does not hand the scroll over to the page.
  await text.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  const pageBefore = await pageScroll(page);
  const box = (await text.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 800);
  await page.mouse.wheel(0, 800);
  expect(await pageScroll(page)).toBe(pageBefore);

  // The divider also moves by keyboard.
  await handle.focus();
  const now = Number(await handle.getAttribute('aria-valuenow'));
  await page.keyboard.press('ArrowRight');
  await expect(handle).toHaveAttribute('aria-valuenow', String(now + 2));
});

test('choosing a chunk highlights its span and scrolls only the text panel to it; the URL keeps it', async ({
  page,
  signIn,
}) => {
  await signIn('admin');
  await page.goto(`/kbs/${kbId}/documents/${docId}`);
  const text = page.getByRole('region', { name: 'Document text' });
  const chunks = page.getByRole('region', { name: 'Chunks' });
  await expect(page.getByTestId('chunk-highlight')).toHaveCount(0);

  const item = chunks.getByRole('button', { name: /^Chunk 12\b/ });
  await item.scrollIntoViewIfNeeded();
  const chunksTop = await scrollTop(chunks);
  const pageBefore = await pageScroll(page);
  await item.click();
  await expect(item).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/\?chunk=11$/);

  const mark = page.getByTestId('chunk-highlight');
  const chunkText = (await item.locator('.chunk-text').textContent())!.trim();
  await expect(mark).toHaveText(chunkText);
  // The span is inside the text panel's visible area; the chunk list and the page stayed put.
  expect(await scrollTop(text)).toBeGreaterThan(0);
  const [m, t] = [(await mark.boundingBox())!, (await text.boundingBox())!];
  expect(m.y).toBeGreaterThanOrEqual(t.y);
  expect(m.y).toBeLessThan(t.y + t.height);
  expect(await scrollTop(chunks)).toBe(chunksTop);
  expect(await pageScroll(page)).toBe(pageBefore);

  // A reload opens the viewer at the same chunk.
  await page.reload();
  await expect(page.getByTestId('chunk-highlight')).toHaveText(chunkText);
  await expect(chunks.getByRole('button', { name: /^Chunk 12\b/ })).toHaveAttribute('aria-pressed', 'true');
});

test('on a phone the panels stack and still scroll on their own', async ({ page, signIn }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn('admin');
  await page.goto(`/kbs/${kbId}/documents/${docId}`);
  const text = page.getByRole('region', { name: 'Document text' });
  const chunks = page.getByRole('region', { name: 'Chunks' });
  await expect(page.getByTestId('document-text')).toContainText('Section 60.');
  const [t, c] = [(await text.boundingBox())!, (await chunks.boundingBox())!];
  expect(c.y).toBeGreaterThan(t.y + t.height - 1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await assertIsolated(page, text, chunks, 400);
  await assertIsolated(page, chunks, text, 400);
  await expect(page.getByRole('separator', { name: 'Resize the panels' })).toHaveAttribute(
    'aria-orientation',
    'horizontal',
  );
});
