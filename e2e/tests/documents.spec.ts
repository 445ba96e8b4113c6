/** Documents: upload by drag and drop and file picker with progress, every format through READY, failure and retry. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, FILES, unique } from '../support/kb.ts';

const payload = (path: string, mimeType: string) => ({ name: basename(path), mimeType, buffer: readFileSync(path) });

/** Drops files on the drop zone the way a browser does (a DataTransfer carrying File objects). */
async function dropFiles(page: Page, paths: { path: string; type: string }[]) {
  const files = paths.map((p) => ({
    name: basename(p.path),
    type: p.type,
    base64: readFileSync(p.path).toString('base64'),
  }));
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, files);
  const zone = page.getByTestId('dropzone');
  await zone.dispatchEvent('dragenter', { dataTransfer });
  await expect(zone).toHaveClass(/dropzone-over/);
  await zone.dispatchEvent('drop', { dataTransfer });
}

test('every format uploads by drag and drop or the file picker, with progress, and reaches READY live', async ({
  page,
  context,
  signIn,
}) => {
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Formats') });
  try {
    await signIn('admin');
    await page.goto(`/kbs/${kb.id}`);
    await expect(page.getByText('No documents yet')).toBeVisible();
    // The access token has expired: both parallel uploads get 401, share one refresh, and go through.
    await context.clearCookies({ name: 'lumikb_access' });

    // Two files dropped together …
    await dropFiles(page, [
      { path: FILES.txt, type: 'text/plain' },
      { path: FILES.md, type: 'text/markdown' },
    ]);
    // … and three chosen in the file picker, plus one the server refuses by its content.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (await chooser).setFiles([
      payload(FILES.html, 'text/html'),
      payload(FILES.pdf, 'application/pdf'),
      payload(FILES.docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
      { name: 'photo.pdf', mimeType: 'application/pdf', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]) },
    ]);

    const uploads = page.getByRole('list', { name: 'Uploads' });
    const names = ['release-notes.txt', 'faq.md', 'security.html', 'pump-manual.pdf', 'onboarding.docx'];
    const refused = uploads.locator('[data-file="photo.pdf"]');
    await expect(refused.getByTestId('upload-status')).toContainText('Refused:');
    await expect(refused.getByTestId('upload-status')).toContainText('UNSUPPORTED_FILE_TYPE');

    // The list follows processing on its own (no reload) until every document is READY.
    const table = page.getByRole('table', { name: 'Documents' });
    for (const name of names) {
      const row = table.getByRole('row', { name: new RegExp(name.replace('.', '\\.')) });
      await expect(row.getByRole('cell').nth(2)).toHaveText(/ready/i, { timeout: 30_000 });
      await expect(row.getByRole('cell').nth(4)).not.toHaveText('—');
    }
    await expect(table.getByRole('row')).toHaveCount(names.length + 1);
    await expect(page.getByRole('definition').filter({ hasText: 'ready ·' })).toContainText('5 ready');

    // Once processed, the upload lines fold away (the table has them); each one, shown again,
    // says its upload completed, with a full progress bar. (Checked here, not as they upload:
    // a small file can be processed, and its line folded, before a check could see it.)
    await page.getByRole('button', { name: 'Show processed uploads' }).click();
    for (const name of names) {
      const item = uploads.locator(`[data-file="${name}"]`);
      await expect(item.getByTestId('upload-status')).toHaveText('Uploaded — processing has started');
      await expect(item.getByRole('progressbar', { name: `Upload progress of ${name}` })).toHaveJSProperty('value', 1);
    }

    // Each format's text was extracted: the PDF and the DOCX open in the viewer with their words.
    await table.getByRole('link', { name: 'onboarding.docx' }).click();
    await expect(page.getByTestId('document-text')).toContainText('buddy programme pairs every newcomer');
    await page.goBack();
    await table.getByRole('link', { name: 'pump-manual.pdf' }).click();
    await expect(page.getByTestId('document-text')).toContainText('serviced every six months');
  } finally {
    await deleteKb(api, kb.id);
    await api.dispose();
  }
});

test('a corrupt PDF fails at parse with its step breakdown; retry runs a new attempt; delete removes it', async ({
  page,
  signIn,
}) => {
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Failures') });
  try {
    await signIn('admin');
    await page.goto(`/kbs/${kb.id}`);
    await dropFiles(page, [{ path: FILES.corruptPdf, type: 'application/pdf' }]);

    const table = page.getByRole('table', { name: 'Documents' });
    const row = table.getByRole('row', { name: /corrupt-scan\.pdf/ }).first();
    await expect(row.getByRole('cell').nth(2)).toHaveText(/failed/i, { timeout: 30_000 });
    await expect(row).toContainText(/parse\s*failed/i);

    await row.getByRole('button', { name: 'Show details of corrupt-scan.pdf' }).click();
    const steps = page.getByRole('list', { name: 'Processing steps of corrupt-scan.pdf' });
    await expect(steps.locator('[data-step="upload"]')).toContainText('done');
    await expect(steps.locator('[data-step="parse"]')).toContainText('failed');
    await expect(steps.locator('[data-step="parse"]')).toContainText('The PDF cannot be read');
    for (const later of ['chunk', 'embed', 'index']) {
      await expect(steps.locator(`[data-step="${later}"]`)).toContainText('skipped');
    }
    // The failed step's badge explains itself on keyboard focus.
    await steps.locator('[data-step="parse"]').getByRole('button', { name: 'failed' }).focus();
    await expect(page.getByRole('tooltip').filter({ hasText: 'The PDF cannot be read' })).toBeVisible();

    await row.getByRole('button', { name: 'Retry corrupt-scan.pdf' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'corrupt-scan.pdf is queued again (attempt 2)' }),
    ).toBeVisible();
    await expect(row).toContainText('attempt 2');
    await expect(row.getByRole('cell').nth(2)).toHaveText(/failed/i, { timeout: 30_000 });
    const docs = await api.get<{ items: { attempt: number; status: string }[] }>(
      `/api/v1/knowledge-bases/${kb.id}/documents`,
      { limit: 10, offset: 0 },
    );
    expect(docs.items.map((d) => [d.status, d.attempt])).toEqual([['FAILED', 2]]);

    await row.getByRole('button', { name: 'Delete corrupt-scan.pdf' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete corrupt-scan.pdf?' });
    await dialog.getByRole('button', { name: 'Delete document' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('No documents yet')).toBeVisible();
  } finally {
    await deleteKb(api, kb.id);
    await api.dispose();
  }
});

test('an upload whose answer was lost is retried with the same Idempotency-Key and gives the first document, not a second', async ({
  page,
  signIn,
  consoleErrors,
}) => {
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Upload retry') });
  try {
    await signIn('admin');
    await page.goto(`/kbs/${kb.id}`);
    await expect(page.getByText('No documents yet')).toBeVisible();

    // The first attempt reaches the server (which stores the document) but its answer never
    // arrives: the browser sees a network error. Later attempts go through untouched.
    const keys: (string | null)[] = [];
    let firstDocumentId: string | undefined;
    await page.route(`**/api/v1/knowledge-bases/${kb.id}/documents`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? null);
      if (keys.length > 1) return route.continue();
      const response = await route.fetch();
      expect(response.status()).toBe(201);
      firstDocumentId = ((await response.json()) as { id: string }).id;
      await route.abort('connectionreset');
    });

    await dropFiles(page, [{ path: FILES.txt, type: 'text/plain' }]);
    const item = page.getByRole('list', { name: 'Uploads' }).locator('[data-file="release-notes.txt"]');
    await expect(item.getByTestId('upload-status')).toContainText('Failed: Cannot reach the server');
    await expect(item.getByTestId('upload-status')).toContainText('NETWORK_ERROR');
    // The browser logs the reset connection we caused; that one line is expected, nothing else.
    expect(consoleErrors).toEqual(['Failed to load resource: net::ERR_CONNECTION_RESET']);
    consoleErrors.length = 0;

    const retried = page.waitForResponse(
      (res) => res.request().method() === 'POST' && res.url().endsWith(`/knowledge-bases/${kb.id}/documents`),
    );
    await item.getByRole('button', { name: 'Retry upload of release-notes.txt' }).click();
    const response = await retried;
    // The server recognised the key and answered with the document the first attempt made.
    expect(response.status()).toBe(201);
    expect(response.headers()['idempotent-replayed']).toBe('true');
    expect(((await response.json()) as { id: string }).id).toBe(firstDocumentId);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[\x21-\x7e]{16,}$/);
    expect(keys[1]).toBe(keys[0]);
    await expect(item.getByTestId('upload-status')).toHaveText('Uploaded — processing has started');
    await expect(item.getByRole('button', { name: /Retry upload/ })).toHaveCount(0);

    // Exactly one document, in the list and in the API.
    const table = page.getByRole('table', { name: 'Documents' });
    await expect(table.getByRole('row', { name: /release-notes\.txt/ })).toHaveCount(1);
    const docs = await api.get<{ items: { id: string }[] }>(`/api/v1/knowledge-bases/${kb.id}/documents`, {
      limit: 10,
      offset: 0,
    });
    expect(docs.items.map((d) => d.id)).toEqual([firstDocumentId]);

    // The same file added again is a new upload with a new key: the KB says it already has it.
    await page.unroute(`**/api/v1/knowledge-bases/${kb.id}/documents`);
    await dropFiles(page, [{ path: FILES.txt, type: 'text/plain' }]);
    const again = page.getByRole('list', { name: 'Uploads' }).locator('[data-file="release-notes.txt"]').first();
    await expect(again.getByTestId('upload-status')).toHaveText(
      /^Already uploaded as release-notes\.txt — this knowledge base holds the same file$/,
    );
    await expect(again.getByRole('link', { name: 'release-notes.txt' })).toHaveAttribute(
      'href',
      `/kbs/${kb.id}/documents/${firstDocumentId}`,
    );
    await expect(again.getByRole('button', { name: /Retry upload/ })).toHaveCount(0);
    await expect(table.getByRole('row', { name: /release-notes\.txt/ })).toHaveCount(1);
  } finally {
    await deleteKb(api, kb.id);
    await api.dispose();
  }
});

test('uploads and the documents table never contradict: no "No documents yet" while files are on the way, upload lines fold once processed', async ({
  page,
  signIn,
}) => {
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Upload states') });
  try {
    await signIn('admin');
    await page.goto(`/kbs/${kb.id}`);
    await expect(page.getByText('No documents yet')).toBeVisible();

    // Hold the uploads on the wire until the page has been looked at while they are under way.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`**/api/v1/knowledge-bases/${kb.id}/documents`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await held;
      await route.continue();
    });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (await chooser).setFiles([payload(FILES.txt, 'text/plain'), payload(FILES.md, 'text/markdown')]);

    await expect(page.getByText('2 documents are on the way')).toBeVisible();
    await expect(page.getByText('No documents yet')).toHaveCount(0);
    release();

    const table = page.getByRole('table', { name: 'Documents' });
    for (const name of ['release-notes.txt', 'faq.md']) {
      const row = table.getByRole('row', { name: new RegExp(name.replace('.', '\\.')) });
      await expect(row.getByRole('cell').nth(2)).toHaveText(/ready/i, { timeout: 30_000 });
    }
    // Every document is Ready in the table: the per-file upload lines fold away …
    const uploadLines = page.getByText('Uploaded — processing has started').filter({ visible: true });
    await expect(uploadLines).toHaveCount(0);
    await expect(page.getByText('Uploads finished · 2 in the table below')).toBeVisible();
    // … and come back on request.
    await page.getByRole('button', { name: 'Show processed uploads' }).click();
    await expect(uploadLines).toHaveCount(2);
  } finally {
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await deleteKb(api, kb.id);
    await api.dispose();
  }
});
