/**
 * The chat page on saved conversations (issue 17, point 4): the URL carries the
 * conversation, so a reload keeps it; the thread fills the viewport with one scroll and the
 * composer stays reachable (1280×800 and 390×844); answers can be copied, regenerated
 * (earlier versions kept) and judged; Enter sends and Shift+Enter starts a new line; a
 * model failing mid-answer leaves the partial answer and the error in the thread, and Stop
 * keeps the partial answer, marked stopped.
 */
import { startFakeOllama } from '@lumikb/test-kit';
import { expect, test } from '../fixtures/test.ts';
import { withOllamaKb } from '../support/kb.ts';

const QUESTION = 'How many days of paid vacation leave do I get?';

// Sign-in, a streamed answer, a regeneration and reloads on a loaded 2-core machine.
test.describe.configure({ timeout: 90_000 });

test('desktop: ask, the conversation is saved under its URL, copy, feedback, regenerate, reload', async ({
  page,
  context,
  signIn,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn('user');
  await page.goto('/chat');
  const input = page.getByRole('textbox', { name: 'Your question' });
  await input.fill(QUESTION);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  const answer = page.getByTestId('answer').first();
  await expect(answer).toContainText('twenty-five days of paid leave');
  await expect(answer).toHaveAttribute('aria-busy', 'false');
  await expect(
    page.getByRole('complementary', { name: 'Conversations' }).getByRole('link', { name: QUESTION }),
  ).toHaveAttribute('aria-current', 'page');

  // One scroll: the page itself does not scroll, the thread does, and it is most of the height.
  const layout = await page.evaluate(() => {
    const log = document.querySelector('[role="log"]')!.getBoundingClientRect();
    return { pageOverflow: document.documentElement.scrollHeight - window.innerHeight, logHeight: log.height };
  });
  expect(layout.pageOverflow, 'the page itself does not scroll').toBeLessThanOrEqual(0);
  expect(layout.logHeight, 'the thread fills the viewport').toBeGreaterThan(450);
  await expect(page.getByRole('button', { name: 'Send' })).toBeInViewport();

  await answer.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Answer copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('twenty-five days');

  await answer
    .getByRole('button', { name: /Helpful/ })
    .first()
    .click();
  await expect(answer.getByRole('button', { name: '👍 Helpful' })).toHaveAttribute('aria-pressed', 'true');

  await answer.getByRole('button', { name: 'Regenerate' }).click();
  await expect(answer.getByTestId('answer-meta')).toContainText('Version 2 · 1 earlier kept');

  // Shift+Enter is a new line, not a send.
  await input.fill('Line one');
  await input.press('Shift+Enter');
  await input.pressSequentially('line two');
  await expect(input).toHaveValue('Line one\nline two');
  await input.fill('');

  const url = page.url();
  await page.reload();
  await expect(page).toHaveURL(url);
  await expect(page.getByRole('article', { name: `Question: ${QUESTION}` })).toBeVisible();
  await expect(page.getByTestId('answer').first()).toContainText('twenty-five days of paid leave');
  await expect(
    page
      .getByTestId('answer')
      .first()
      .getByRole('link', { name: /^Source 1: / })
      .first(),
  ).toBeVisible();

  // The sidebar collapses and comes back.
  await page.getByRole('button', { name: 'Hide conversations' }).click();
  await expect(page.getByRole('complementary', { name: 'Conversations' })).toBeHidden();
  await page.getByRole('button', { name: 'Conversations' }).click();
  await expect(page.getByRole('complementary', { name: 'Conversations' })).toBeVisible();
});

test('phone (390×844): Send is on screen, the conversations are a drawer, nothing overflows', async ({
  page,
  signIn,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn('user');
  await page.goto('/chat');
  const sidebar = page.getByRole('complementary', { name: 'Conversations' });
  await expect(sidebar).toBeHidden();
  await page.getByRole('textbox', { name: 'Your question' }).fill(QUESTION);
  const send = page.getByRole('button', { name: 'Send' });
  await expect(send).toBeInViewport({ ratio: 1 });
  await send.click();
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('answer').first()).toContainText('twenty-five days of paid leave');
  await expect(page.getByRole('button', { name: 'Send' })).toBeInViewport({ ratio: 1 });
  const overflow = await page.evaluate(() => ({
    x: document.documentElement.scrollWidth - window.innerWidth,
    y: document.documentElement.scrollHeight - window.innerHeight,
  }));
  expect(overflow.x, 'no sideways scrolling').toBeLessThanOrEqual(0);
  expect(overflow.y, 'the page itself does not scroll; the thread does').toBeLessThanOrEqual(0);

  await page.getByRole('button', { name: 'Conversations' }).click();
  await expect(sidebar).toBeVisible();
  await sidebar.getByRole('link', { name: QUESTION }).first().click();
  await expect(sidebar).toBeHidden();
  await expect(page.getByTestId('answer').first()).toContainText('twenty-five days');
});

test('a generation model failing mid-stream: the partial answer stays in the thread with the error, also after a reload', async ({
  page,
  signIn,
}) => {
  // An Ollama of this test's own whose streams break after a few tokens (an error line, status 200).
  const ollama = await startFakeOllama(undefined, {
    tokenDelayMs: 30,
    reply: () => 'Train tickets are booked in second class [1] and the rest of this answer never arrives.',
  });
  ollama.failStreamsAfter(8); // "Train tickets are booked in second class [1] " and no more
  await withOllamaKb(ollama, 'failing', async ({ kbId }) => {
    await signIn('admin');
    await page.goto(`/chat?kb=${kbId}`);
    await page.getByRole('textbox', { name: 'Your question' }).fill('Which class for trains?');
    await page.keyboard.press('Enter');

    const answer = page.getByTestId('answer').first();
    await expect(answer).toContainText('Train tickets are booked in second class');
    const error = answer.getByRole('alert');
    await expect(error).toContainText('The answer stopped');
    await expect(error).toContainText('The answer could not be generated');
    await expect(answer).toHaveAttribute('aria-busy', 'false');
    await expect(answer).not.toContainText('never arrives');
    // The partial answer keeps the source it cites.
    await expect(answer.getByRole('list', { name: 'Sources' })).toContainText('travel.md · chunk 1');

    // Saved as it was: the partial text and the error are in the conversation after a reload.
    await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
    await page.reload();
    const saved = page.getByTestId('answer').first();
    await expect(saved).toContainText('Train tickets are booked in second class');
    await expect(saved.getByRole('alert')).toContainText('The answer could not be generated');
    await expect(saved.getByRole('list', { name: 'Sources' })).toContainText('travel.md · chunk 1');
  });
});

test('Stop ends an answer mid-stream: the partial answer is kept, marked stopped, also after a reload', async ({
  page,
  signIn,
}) => {
  // Slow enough that Stop lands in the middle: about 40 tokens at 150 ms.
  const ollama = await startFakeOllama(undefined, {
    tokenDelayMs: 150,
    reply: () =>
      'Train tickets are booked in second class [1] for every trip, and this long answer goes on for a while so that there is time to stop it before it reaches its final words: the very last sentence.',
  });
  await withOllamaKb(ollama, 'stopped', async ({ kbId }) => {
    await signIn('admin');
    await page.goto(`/chat?kb=${kbId}`);
    await page.getByRole('textbox', { name: 'Your question' }).fill('Which class for trains?');
    await page.keyboard.press('Enter');

    const answer = page.getByTestId('answer').first();
    await expect(answer).toContainText('Train tickets are booked');
    await expect(answer).toHaveAttribute('aria-busy', 'true');
    await page.getByRole('button', { name: 'Stop' }).click();

    // The thread settles by itself on what the server kept: the partial answer, marked
    // stopped (the server saves it once it sees the client go; the page follows until then).
    await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
    const kept = page.getByTestId('answer').first();
    await expect(kept).toContainText('Stopped.', { timeout: 15_000 });
    await expect(kept).toHaveAttribute('aria-busy', 'false');
    await expect(kept).toContainText('Train tickets are booked');
    await expect(kept).not.toContainText('the very last sentence');
    await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();

    // And so it stays after a reload.
    await page.reload();
    const saved = page.getByTestId('answer').first();
    await expect(saved).toContainText('Stopped.');
    await expect(saved).toContainText('Train tickets are booked');
    await expect(saved).not.toContainText('the very last sentence');
  });
});
