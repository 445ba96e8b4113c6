/**
 * Issue 18, the data layer (web/src/api/hooks.ts, TanStack Query): what a user notices.
 * A page opened again shows what it showed at once, however slow the server is; a change
 * made on one page is what every other page shows, with no reload.
 */
import { KBS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, unique } from '../support/kb.ts';

const isKbList = (url: URL) => url.pathname === '/api/v1/knowledge-bases';

test.slow(); // many navigations; the default 30 s is short on a loaded 2-core machine

test('going back to the knowledge bases shows them at once, even while the server has not answered', async ({
  page,
  signIn,
}) => {
  await signIn('admin');
  await page.goto('/kbs');
  const list = page.getByRole('list', { name: 'Knowledge bases' });
  // The first visit waits for the server (slow on a loaded machine); what is tested is the second.
  await expect(list.getByRole('link', { name: KBS.handbook.name, exact: true })).toBeVisible({ timeout: 30_000 });
  await list.getByRole('link', { name: KBS.handbook.name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(KBS.handbook.name);

  // From now on the server holds every answer for the list until the test lets it go.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let asked = 0;
  await page.route(isKbList, async (route) => {
    asked++;
    await held;
    await route.continue().catch(() => {});
  });
  try {
    await page.goBack();
    await expect(page).toHaveURL(/\/kbs$/);
    // The list as it was, not a spinner: the cache answers while the server is asked.
    await expect(list.getByRole('link', { name: KBS.handbook.name, exact: true })).toBeVisible();
    await expect(page.getByText('Loading knowledge bases…')).toHaveCount(0);
  } finally {
    release();
    await page.unroute(isKbList);
  }
  expect(asked).toBeLessThanOrEqual(1);
});

test('a knowledge base renamed in its settings has its new name on its page and in the list, with no reload', async ({
  page,
  signIn,
}) => {
  const api = await adminApi();
  const tag = unique('dl').split(' ')[1] as string;
  const kb = await createKb(api, { name: `E2E Before ${tag}` });
  try {
    await signIn('admin');
    await page.goto(`/kbs?q=${tag}`);
    const list = page.getByRole('list', { name: 'Knowledge bases' });
    const before = list.getByRole('link', { name: `E2E Before ${tag}`, exact: true });
    await expect(before).toBeVisible({ timeout: 30_000 });
    await before.click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`E2E Before ${tag}`);
    await page.getByRole('link', { name: 'Settings' }).click();

    // Every document this test loads from here on is counted: none may be a reload.
    let documents = 0;
    page.on('request', (r) => {
      if (r.resourceType() === 'document') documents++;
    });
    const general = page.getByRole('form', { name: 'General settings' });
    await general.getByLabel('Name').fill(`E2E After ${tag}`);
    await general.getByRole('button', { name: 'Save name and description' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Settings · E2E After ${tag}`);

    await page
      .getByRole('navigation', { name: 'Breadcrumb' })
      .getByRole('link', { name: `E2E After ${tag}`, exact: true })
      .click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`E2E After ${tag}`);
    // Back through the settings and the first visit of the KB to the filtered list.
    await page.goBack();
    await page.goBack();
    await page.goBack();
    await expect(page).toHaveURL(new RegExp(`/kbs\\?q=${tag}$`));
    await expect(list.getByRole('link', { name: `E2E After ${tag}`, exact: true })).toBeVisible();
    await expect(list.getByRole('link', { name: `E2E Before ${tag}`, exact: true })).toHaveCount(0);
    expect(documents).toBe(0);
  } finally {
    await deleteKb(api, kb.id);
  }
});
