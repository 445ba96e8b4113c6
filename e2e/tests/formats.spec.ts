/**
 * Issue 19: where a passage is, in the files teams actually have. A workbook, a slide deck
 * and a two-page PDF, generated here (@lumikb/ingest's test fixtures, no binary files),
 * are uploaded; search hits and chat citations say "Sheet1 rows 2–3", "slide 2", "p. 2",
 * and the viewer lists the document's parts (slides, sheets, pages), opens at the cited
 * location with its part marked, and shows a part's text when it is chosen — at 1280 and
 * at 390 px.
 */
import { makePdfPages, makePptx, makeXlsx } from '@lumikb/ingest/testing';
import type { Page } from '@playwright/test';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, unique } from '../support/kb.ts';

// Small chunks, so each slide, each page and rows 2–3 of the sheet are chunks of their own.
const CHUNKING = { chunk_size: 150, chunk_overlap: 0 };

const FILES = {
  deck: 'roadmap.pptx',
  book: 'tunnel-maintenance.xlsx',
  pdf: 'pump-guide.pdf',
} as const;

let kbId = '';
const ids: Record<keyof typeof FILES, string> = { deck: '', book: '', pdf: '' };

test.describe.configure({ timeout: 90_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const api = await adminApi();
  try {
    const kb = await createKb(api, { name: unique('E2E Formats'), config_overrides: CHUNKING });
    kbId = kb.id;
    const deck = await makePptx([
      {
        title: 'Welcome',
        body: [
          'An introduction to this quarter, the people in the room and the order in which we go through the plan.',
        ],
      },
      {
        title: 'Launch plan',
        body: ['The Kestrel satellite launches from Andøya spaceport in March, weather permitting.'],
      },
      {
        title: 'Close',
        body: ['Questions, remarks and a short summary of what the team agreed to do before the next review meeting.'],
      },
    ]);
    // Row 1 (the header) is a chunk alone, rows 2–3 the next one, row 4 the last.
    const book = await makeXlsx([
      {
        name: 'Sheet1',
        rows: [
          ['Item', 'Note'],
          [
            'Ventilation fans',
            'The ventilation fans in the Ravnefjell tunnel are serviced by Sigrid Aasen every spring.',
          ],
          ['Pumps', 'Yearly.'],
          ['Lighting', 'The tunnel lighting is replaced in sections, one kilometre each autumn, by an outside firm.'],
        ],
      },
    ]);
    const pdf = makePdfPages([
      ['General remarks about this guide, its purpose and its readers,', 'which carry nothing of substance at all.'],
      ['The pump impeller of the Nordhavn station is replaced', 'every eighteen months by the harbour crew.'],
    ]);
    ids.deck = (await api.upload(kbId, FILES.deck, deck, 'application/octet-stream')).id;
    ids.book = (await api.upload(kbId, FILES.book, book, 'application/octet-stream')).id;
    ids.pdf = (await api.upload(kbId, FILES.pdf, pdf, 'application/pdf')).id;
    for (const id of Object.values(ids)) await api.waitForDocument(kbId, id, ['READY']);
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

async function search(page: Page, query: string) {
  await page.goto(`/search?kb=${kbId}`);
  await page.getByRole('searchbox', { name: 'Search query' }).fill(query);
  await page.keyboard.press('Enter');
  return page.getByRole('list', { name: 'Results' }).getByRole('listitem');
}

/** The page is no wider than the screen. */
async function expectNoSideways(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `the page overflows sideways by ${overflow}px`).toBeLessThanOrEqual(0);
}

for (const viewport of [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]) {
  test.describe(`${viewport.width} px`, () => {
    test.use({ viewport });

    test('search hits say the sheet rows, slide and page; the viewer opens there with its part marked', async ({
      page,
      signIn,
    }) => {
      await signIn('admin');
      const cases = [
        {
          key: 'book',
          query: 'Who services the ventilation fans in the Ravnefjell tunnel?',
          location: 'Sheet1 rows 2–3',
          text: 'serviced by Sigrid Aasen',
          parts: 'Sheets',
          current: 'Sheet1 rows 1–4',
        },
        {
          key: 'deck',
          query: 'Where does the Kestrel satellite launch from?',
          location: 'slide 2',
          text: 'launches from Andøya spaceport',
          parts: 'Slides',
          current: 'Slide 2 — Launch plan',
        },
        {
          key: 'pdf',
          query: 'How often is the pump impeller of the Nordhavn station replaced?',
          location: 'p. 2',
          text: 'every eighteen months',
          parts: 'Pages',
          current: 'Page 2 — The pump impeller of the Nordhavn station is replaced',
        },
      ] as const;
      for (const c of cases) {
        const name = FILES[c.key];
        const hit = (await search(page, c.query)).filter({ hasText: name }).first();
        await expect(hit).toContainText(c.text);
        await expect(hit.getByTestId('hit-location'), `${name}: the hit says where it is`).toHaveText(c.location);
        await expectNoSideways(page);

        await hit.getByRole('link', { name: new RegExp(`^Open ${name.replace('.', '\\.')} at chunk`) }).click();
        await expect(page).toHaveURL(new RegExp(`/documents/${ids[c.key]}\\?chunk=\\d+$`));
        await expect(page.getByTestId('chunk-highlight')).toContainText(c.text);
        await expect(page.getByTestId('highlight-summary')).toContainText(`(${c.location})`);
        const parts = page.getByRole('navigation', { name: `${c.parts} of ${name}` });
        const current = parts.getByRole('button', { name: c.current, exact: true });
        await expect(current, `${name}: the cited part is marked`).toHaveAttribute('aria-current', 'location');
        await expect(current).toBeInViewport();
        await expectNoSideways(page);
      }
    });

    test('the viewer lists the slides with their titles; choosing one shows its text', async ({ page, signIn }) => {
      await signIn('admin');
      await page.goto(`/kbs/${kbId}/documents/${ids.deck}`);
      const parts = page.getByRole('navigation', { name: `Slides of ${FILES.deck}` });
      await expect(parts.getByRole('button')).toHaveText([
        'Slide 1 — Welcome',
        'Slide 2 — Launch plan',
        'Slide 3 — Close',
      ]);
      await parts.getByRole('button', { name: 'Slide 3 — Close' }).click();
      await expect(page).toHaveURL(/\?part=2$/);
      const shown = page.getByTestId('part-highlight');
      await expect(shown).toHaveText(/^Slide 3: Close\nQuestions, remarks/);
      await expect(shown).not.toContainText('Kestrel');
      await expect(shown).toBeInViewport();
      await expect(parts.getByRole('button', { name: 'Slide 3 — Close' })).toHaveAttribute('aria-current', 'location');
      // A reload keeps the chosen part.
      await page.reload();
      await expect(page.getByTestId('part-highlight')).toHaveText(/^Slide 3: Close/);

      // The workbook's sheet with its rows, the PDF's pages.
      await page.goto(`/kbs/${kbId}/documents/${ids.book}`);
      await expect(page.getByRole('navigation', { name: `Sheets of ${FILES.book}` }).getByRole('button')).toHaveText([
        'Sheet1 rows 1–4',
      ]);
      await page.goto(`/kbs/${kbId}/documents/${ids.pdf}`);
      const pages = page.getByRole('navigation', { name: `Pages of ${FILES.pdf}` });
      await expect(pages.getByRole('button')).toHaveCount(2);
      await pages.getByRole('button', { name: /^Page 2\b/ }).click();
      await expect(page.getByTestId('part-highlight')).toHaveText(/^The pump impeller[\s\S]*harbour crew\.$/);
      await expectNoSideways(page);
    });
  });
}

test('a chat answer cites the slide, and its source opens the viewer on that slide', async ({ page, signIn }) => {
  await signIn('admin');
  await page.goto(`/chat?kb=${kbId}`);
  await page.getByRole('textbox', { name: 'Your question' }).fill('Where does the Kestrel satellite launch from?');
  await page.keyboard.press('Enter');
  const answer = page.getByTestId('answer').first();
  await expect(answer).toHaveAttribute('aria-busy', 'false', { timeout: 30_000 });
  const sources = answer.getByRole('list', { name: 'Sources' });
  const source = sources.getByRole('link').filter({ hasText: `${FILES.deck} · chunk 2` });
  await expect(source.getByTestId('citation-location')).toHaveText(' · slide 2');
  await source.click();
  await expect(page).toHaveURL(new RegExp(`/documents/${ids.deck}\\?chunk=1$`));
  await expect(page.getByTestId('chunk-highlight')).toContainText('Kestrel satellite');
  await expect(
    page
      .getByRole('navigation', { name: `Slides of ${FILES.deck}` })
      .getByRole('button', { name: 'Slide 2 — Launch plan' }),
  ).toHaveAttribute('aria-current', 'location');
});
