/** Search with citations into the viewer; chat streamed over SSE with citation badges, fallback and extractive answers. */
import { startFakeOllama } from '@lumikb/test-kit';
import { DOCUMENTS, KBS, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { withOllamaKb } from '../support/kb.ts';

test('search across readable KBs; a citation opens the viewer at the cited chunk, highlighted', async ({
  page,
  signIn,
}) => {
  await signIn('user');
  await page.goto('/search');
  await expect(page.getByText('Search your documents')).toBeVisible();
  // The user reads only the handbook: it is the only KB to choose.
  const choice = page.getByRole('group', { name: 'Knowledge bases' });
  await expect(choice.getByRole('checkbox')).toHaveCount(2);
  await expect(choice.getByRole('checkbox', { name: KBS.handbook.name })).toBeVisible();

  await page.getByRole('searchbox', { name: 'Search query' }).fill('how many days of paid vacation leave');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/[?&]q=how\+many\+days/);
  const results = page.getByRole('list', { name: 'Results' });
  const hit = results.getByRole('listitem').filter({ hasText: DOCUMENTS.ready.name }).first();
  await expect(hit).toContainText(KBS.handbook.name);
  await expect(hit).toContainText('twenty-five days of paid leave');

  // Narrowing to one KB is kept in the URL.
  await choice.getByRole('checkbox', { name: KBS.handbook.name }).click();
  await expect(choice.getByRole('checkbox', { name: KBS.handbook.name })).toBeChecked();
  await expect(page).toHaveURL(new RegExp(`kb=${seeded().kbs.handbook}`));
  await expect(hit).toBeVisible();

  await hit
    .getByRole('link', { name: new RegExp(`^Open ${DOCUMENTS.ready.name.replace('.', '\\.')} at chunk`) })
    .click();
  await expect(page).toHaveURL(
    new RegExp(`/kbs/${seeded().kbs.handbook}/documents/${seeded().documents.ready}\\?chunk=0$`),
  );
  await expect(page.getByRole('heading', { level: 1, name: DOCUMENTS.ready.name })).toBeVisible();
  await expect(page.getByTestId('chunk-highlight')).toContainText('The vacation policy grants twenty-five days');
  await expect(
    page.getByRole('region', { name: 'Chunks' }).getByRole('button', { name: /^Chunk 1\b/ }),
  ).toHaveAttribute('aria-pressed', 'true');
});

test('chat answers with the built-in extractive answerer (no LLM) and its citation badges open the viewer', async ({
  page,
  context,
  signIn,
}) => {
  const data = seeded();
  await signIn('user');
  await page.goto('/chat');
  // The user's readable KB is preselected, with what will answer.
  await expect(page.getByLabel('Knowledge base')).toHaveValue(data.kbs.handbook);
  await expect(page.getByText('quotes the sources, no LLM')).toBeVisible();

  // With an expired access token the stream request is renewed and retried, unseen by the user.
  await context.clearCookies({ name: 'lumikb_access' });
  const chat = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/chat') && r.request().method() === 'POST' && r.status() === 200,
  );
  await page.getByRole('textbox', { name: 'Your question' }).fill('How many days of paid vacation leave do I get?');
  await page.keyboard.press('Enter');
  expect((await chat).headers()['content-type']).toContain('text/event-stream');

  const answer = page.getByTestId('answer');
  await expect(answer.getByTestId('answer-meta')).toContainText('Answered by Built-in extractive answerer');
  await expect(answer).toContainText('twenty-five days of paid leave');
  await expect(answer.getByTestId('extractive-badge')).toHaveText('Extractive answer · no LLM');
  await expect(answer.getByRole('note')).toContainText('no language model (LLM) was used');
  await expect(answer.getByTestId('fallback-badge')).toHaveCount(0);

  // [1] in the text is a badge linking to the cited chunk; the sources list says the same.
  await expect(answer.getByRole('list', { name: 'Sources' })).toContainText(`${DOCUMENTS.ready.name} · chunk 1`);
  await answer
    .getByRole('link', { name: `Source 1: ${DOCUMENTS.ready.name}, chunk 1` })
    .first()
    .click();
  await expect(page).toHaveURL(new RegExp(`/documents/${data.documents.ready}\\?chunk=0$`));
  await expect(page.getByTestId('chunk-highlight')).toContainText('vacation policy');
});

test('chat streams an LLM answer token by token with citation badges; with that model inactive the default answers and says so', async ({
  page,
  signIn,
}) => {
  // A slow Ollama of this test's own, so the stream can be watched arriving.
  const ollama = await startFakeOllama(undefined, {
    tokenDelayMs: 60,
    reply: (question) =>
      `Trains are booked in second class [1] for trips like "${question}" and the rest follows the travel policy.`,
  });
  await withOllamaKb(ollama, 'Chat', async ({ api, kbId, modelId, modelName, documentId }) => {
    await signIn('admin');
    await page.goto(`/chat?kb=${kbId}`);
    await expect(page.getByText(`Answers by ${modelName} (Ollama)`)).toBeVisible();
    const input = page.getByRole('textbox', { name: 'Your question' });
    await input.fill('Which class for trains?');
    await page.getByRole('button', { name: 'Send' }).click();

    // Part of the answer is on screen while the rest is still being written.
    const first = page.getByTestId('answer').nth(0);
    await expect(first).toContainText('Trains are booked');
    await expect(first).toHaveAttribute('aria-busy', 'true');
    await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
    await expect(first).not.toContainText('travel policy');
    await expect(first).toContainText('the rest follows the travel policy.');
    await expect(first).toHaveAttribute('aria-busy', 'false');
    await expect(first.getByTestId('answer-meta')).toContainText(`Answered by ${modelName}`);
    await expect(first.getByTestId('extractive-badge')).toHaveCount(0);
    await expect(first.getByRole('list', { name: 'Sources' })).toContainText('travel.md · chunk 1');
    await expect(first.getByRole('link', { name: 'Source 1: travel.md, chunk 1' })).toHaveAttribute(
      'href',
      `/kbs/${kbId}/documents/${documentId}?chunk=0`,
    );

    // The KB's model goes inactive: the default generation model stands in, and says why.
    await api.put(`/api/v1/admin/models/${modelId}`, { status: 'inactive' });
    await expect
      .poll(
        async () =>
          (await api.get<{ generation_model: { status: string } }>(`/api/v1/knowledge-bases/${kbId}`)).generation_model
            .status,
      )
      .toBe('inactive');
    await input.fill('And for flights?');
    await page.keyboard.press('Enter');
    const second = page.getByTestId('answer').nth(1);
    await expect(second.getByTestId('fallback-badge')).toBeVisible();
    await expect(second.getByRole('note').first()).toContainText(
      `Answered by the default generation model because the knowledge base's generation model "${modelName}" is inactive`,
    );
    await expect(second.getByTestId('extractive-badge')).toBeVisible();
    await expect(second.getByTestId('answer-meta')).toContainText('Answered by Built-in extractive answerer');
  });
});

for (const viewport of [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]) {
  test(`search results are a compact list with the query's words marked, an explained score and an honest header (${viewport.width} px)`, async ({
    page,
    signIn,
  }) => {
    await page.setViewportSize(viewport);
    const data = seeded();
    await signIn('admin');
    // One KB fails on the server's side: the page must say which answered and which did not.
    await page.route('**/api/v1/search', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as {
        results: { kb_id: string }[];
        searched_kb_ids: string[];
        errors: { kb_id: string; code: string; message: string }[];
      };
      const searched = [...new Set([...body.searched_kb_ids, data.kbs.ollama])];
      await route.fulfill({
        response: res,
        json: {
          ...body,
          searched_kb_ids: searched,
          results: body.results.filter((r) => r.kb_id !== data.kbs.ollama),
          errors: [{ kb_id: data.kbs.ollama, code: 'EMBEDDING_FAILED', message: 'the embedding model did not answer' }],
        },
      });
    });
    await page.goto(`/search?q=${encodeURIComponent('paid vacation leave')}`);
    const results = page.getByRole('list', { name: 'Results' });
    const hit = results.getByRole('listitem').filter({ hasText: DOCUMENTS.ready.name }).first();
    await expect(hit).toBeVisible();

    // The query's words are marked in the passage.
    await expect(
      hit
        .locator('mark')
        .filter({ hasText: /^vacation$/i })
        .first(),
    ).toBeVisible();
    await expect(
      hit
        .locator('mark')
        .filter({ hasText: /^paid$/i })
        .first(),
    ).toBeVisible();
    // The score says what it is, on the page and on hover.
    // The handbook KB searches in hybrid mode (the default): its hits say where each ranking
    // put them; a similarity is shown only in vector mode, where the score is one.
    const score = hit.getByTestId('hit-score');
    await expect(score).toHaveText(/^(keyword #\d+ · vector #\d+|keyword #\d+|vector #\d+)$/);
    await expect(score).toHaveAttribute('title', /^Position in its knowledge base’s keyword ranking \(BM25/);
    // Compact: a result takes a few lines, not a screen.
    const box = await hit.boundingBox();
    expect(box?.height ?? 1000).toBeLessThan(viewport.width < 640 ? 200 : 130);

    // The header claims no "meaning" and names the KBs that answered and the one that failed.
    await expect(page.getByText(/by meaning/i)).toHaveCount(0);
    const summary = page.getByTestId('result-summary');
    await expect(summary).toContainText(`from ${KBS.handbook.name}`);
    await expect(summary).toContainText(`not searched: ${KBS.ollama.name}`);
    await expect(summary).not.toContainText('2 knowledge bases');
    await expect(page.getByRole('alert')).toContainText(`${KBS.ollama.name}: the embedding model did not answer`);
  });
}
