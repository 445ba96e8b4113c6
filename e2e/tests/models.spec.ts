/** 7-9 Model registry in the browser: dynamic provider forms, connection tests, defaults, refusals. */

import { KBS, MODELS, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { ApiSession } from '../support/api.ts';

test.beforeEach(async ({ page, signIn }) => {
  await signIn('admin');
  await page.goto('/admin/models');
  await expect(page.getByRole('table', { name: 'Models' })).toBeVisible();
});

test('adding a model: the form follows type and provider, a test before saving, the saved model in the table', async ({
  page,
}) => {
  const { ollamaUrl } = seeded();
  const name = `E2E MiniLM ${Date.now().toString(36)}`;
  await page.getByRole('button', { name: 'Add model' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a model' });

  // Cloud provider: key and organization fields appear, no base URL is required.
  await dialog.getByLabel('Provider').selectOption({ label: 'OpenAI' });
  await expect(dialog.getByLabel('API key')).toBeVisible();
  await expect(dialog.getByLabel('Organization ID')).toBeVisible();

  // Ollama embedding: base URL, model and the full embedding parameter set.
  await dialog.getByLabel('Provider').selectOption({ label: 'Ollama' });
  await expect(dialog.getByLabel('API key')).toHaveCount(0);
  for (const label of [
    'Base URL',
    'Model',
    'Dimensions',
    'Max input tokens',
    'Distance metric',
    'Batch size',
    'Tags',
  ]) {
    await expect(dialog.getByLabel(label, { exact: true })).toBeVisible();
  }
  await expect(dialog.getByLabel('Base URL')).toHaveValue('http://localhost:11434');

  // Generation has its own parameters.
  await dialog.getByRole('radio', { name: /Generation/ }).check();
  await expect(dialog.getByLabel('Context window (tokens)')).toBeVisible();
  await expect(dialog.getByLabel('Temperature range from')).toHaveValue('0');
  await expect(dialog.getByLabel('Dimensions')).toHaveCount(0);
  await dialog.getByRole('radio', { name: /Embedding/ }).check();

  // Required fields are named before anything is sent.
  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect(dialog.getByText('Name is required')).toBeVisible();
  await expect(dialog.getByText('Dimensions is required')).toBeVisible();

  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Base URL').fill(ollamaUrl);
  await dialog.getByLabel('Model', { exact: true }).fill('all-minilm');
  await dialog.getByLabel('Dimensions').fill('384');
  await dialog.getByLabel('Max input tokens').fill('512');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  const result = dialog.getByTestId('connection-result');
  await expect(result).toHaveAttribute('data-success', 'true');
  await expect(result).toContainText('Connection works');

  await dialog.getByRole('button', { name: 'Add model' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('Embedding');
  await expect(row).toContainText('Ollama');
  await expect(row).toContainText('untested');

  // Tested again after saving: the result is stored on the model and shown as its health.
  await row.getByRole('button', { name: `Test ${name}` }).click();
  await expect(page.getByTestId('connection-result')).toContainText(`${name}: connection works`);
  await expect(row).toContainText('healthy');

  // Status changes go through the edit form; an inactive model cannot become a default.
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${name}` });
  await edit.getByLabel('Status').selectOption('inactive');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText('inactive');
  await expect(row.getByRole('button', { name: `Set default: ${name}` })).toHaveCount(0);
});

test('a failing connection test shows what the provider answered', async ({ page }) => {
  const { ollamaUrl } = seeded();
  await page.getByRole('button', { name: 'Add model' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a model' });
  await dialog.getByLabel('Provider').selectOption({ label: 'Ollama' });
  await dialog.getByLabel('Name').fill('E2E missing model');
  await dialog.getByLabel('Base URL').fill(ollamaUrl);
  await dialog.getByLabel('Model', { exact: true }).fill('no-such-model');
  await dialog.getByLabel('Dimensions').fill('384');
  await dialog.getByLabel('Max input tokens').fill('512');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  const result = dialog.getByTestId('connection-result');
  await expect(result).toHaveAttribute('data-success', 'false');
  await expect(result).toContainText('Connection failed');
  await expect(result).toContainText(/not found/i);

  // A wrong dimension is caught by the test too.
  await dialog.getByLabel('Model', { exact: true }).fill('all-minilm');
  await dialog.getByLabel('Dimensions').fill('1024');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(result).toHaveAttribute('data-success', 'false');
  await expect(result).toContainText(/384/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('row', { name: /E2E missing model/ })).toHaveCount(0);
});

test('set default moves the Default badge to the chosen model', async ({ page }) => {
  const data = seeded();
  const admin = await ApiSession.signIn(data.baseURL, USERS.admin.email, USERS.admin.password);
  try {
    const llama = page.getByRole('row', { name: new RegExp(MODELS.ollamaGeneration.name) });
    await llama.getByRole('button', { name: `Set default: ${MODELS.ollamaGeneration.name}` }).click();
    await expect(page.getByRole('status').filter({ hasText: 'is now the default generation model' })).toBeVisible();
    await expect(llama).toContainText('Default');
    const local = page.getByRole('row', { name: /Built-in extractive answerer/ });
    await expect(local.getByRole('button', { name: /Set default: / })).toBeVisible();
    // A default cannot be deleted: the server refuses and the dialog says why.
    await llama.getByRole('button', { name: `Delete ${MODELS.ollamaGeneration.name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${MODELS.ollamaGeneration.name}?` });
    await dialog.getByRole('button', { name: 'Delete model' }).click();
    await expect(dialog.getByRole('alert')).toContainText('DEFAULT_MODEL_REQUIRED');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(llama).toContainText('Default');
  } finally {
    await admin.post(`/api/v1/admin/models/${data.models.localGeneration}/set-default`);
    await admin.dispose();
  }
});

test('deleting a model a knowledge base uses is refused, naming the knowledge base', async ({ page }) => {
  const row = page.getByRole('row', { name: new RegExp(MODELS.ollamaEmbedding.name) });
  await row.getByRole('button', { name: `Delete ${MODELS.ollamaEmbedding.name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${MODELS.ollamaEmbedding.name}?` });
  await expect(dialog.getByTestId('dependent-kbs')).toContainText(KBS.ollama.name);
  await dialog.getByRole('button', { name: 'Delete model' }).click();
  await expect(dialog.getByRole('alert')).toContainText('MODEL_IN_USE');
  await expect(dialog.getByRole('alert')).toContainText(KBS.ollama.name);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();
});

test('editing an embedding model in use locks its vector shape and saves other changes', async ({ page }) => {
  const row = page.getByRole('row', { name: new RegExp(MODELS.ollamaEmbedding.name) });
  await row.getByRole('button', { name: `Edit ${MODELS.ollamaEmbedding.name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Edit ${MODELS.ollamaEmbedding.name}` });
  await expect(dialog).toContainText(`Used as the embedding model of ${KBS.ollama.name}`);
  await expect(dialog.getByLabel('Dimensions')).toBeDisabled();
  await expect(dialog.getByLabel('Dimensions')).toHaveValue(String(MODELS.ollamaEmbedding.dimensions));
  await expect(dialog.getByRole('radio', { name: /Generation/ })).toBeDisabled();
  await dialog.getByLabel('Batch size').fill('16');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: `${MODELS.ollamaEmbedding.name} saved` })).toBeVisible();
});

for (const viewport of [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]) {
  test(`add-model feedback stays in view, a failed test needs "Add anyway", limits have defaults (${viewport.width} px)`, async ({
    page,
  }) => {
    await page.setViewportSize(viewport);
    const { ollamaUrl } = seeded();
    const name = `E2E unreachable ${viewport.width} ${Date.now().toString(36)}`;
    await page.getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a model' });
    await dialog.getByLabel('Provider').selectOption({ label: 'Ollama' });

    // Generation limits start at defaults the admin can change.
    await dialog.getByRole('radio', { name: /Generation/ }).check();
    await expect(dialog.getByLabel('Context window (tokens)')).toHaveValue('8192');
    await expect(dialog.getByLabel('Max output tokens')).toHaveValue('1024');
    await dialog.getByLabel('Max output tokens').fill('2048');
    await expect(dialog.getByLabel('Max output tokens')).toHaveValue('2048');

    // Clicking Add with an empty form says so next to the button, not only at the fields above.
    await dialog.getByRole('button', { name: 'Add model' }).click();
    const feedback = dialog.getByTestId('model-form-feedback');
    await expect(feedback.getByRole('alert')).toContainText('need attention');
    await expect(feedback.getByRole('alert')).toContainText('Name');
    await expect(feedback.getByRole('alert')).toContainText('Model');
    await expect(feedback).toBeInViewport();

    // A failing test: its result is in view, and saving anyway takes an explicit second click.
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Base URL').fill(ollamaUrl);
    await dialog.getByLabel('Model', { exact: true }).fill('no-such-model');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const result = dialog.getByTestId('connection-result');
    await expect(result).toHaveAttribute('data-success', 'false');
    await expect(result).toBeInViewport();
    await dialog.getByRole('button', { name: 'Add model' }).click();
    const warning = feedback.getByRole('alert').filter({ hasText: 'The last connection test failed' });
    await expect(warning).toBeInViewport();
    await expect(dialog).toBeVisible();
    const admin = await ApiSession.signIn(seeded().baseURL, USERS.admin.email, USERS.admin.password);
    try {
      const generationModels = () =>
        admin.get<{ items: { id: string; name: string }[] }>('/api/v1/admin/models', {
          type: 'generation',
          limit: 100,
        });
      const listed = async () => (await generationModels()).items.some((m) => m.name === name);
      expect(await listed(), 'nothing saved before "Add anyway"').toBe(false);
      await dialog.getByRole('button', { name: 'Add anyway' }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByRole('row', { name: new RegExp(name) })).toBeVisible();
      const saved = (await generationModels()).items.find((m) => m.name === name);
      expect(saved).toBeDefined();
      if (saved) await admin.delete(`/api/v1/admin/models/${saved.id}`);
    } finally {
      await admin.dispose();
    }
  });
}

test('direct providers show "n/a — direct" in the Proxy column, never a pending sync', async ({ page }) => {
  for (const name of [MODELS.ollamaEmbedding.name, MODELS.ollamaGeneration.name]) {
    const row = page.getByRole('row', { name: new RegExp(name) });
    await expect(row).toContainText('n/a — direct');
    await expect(row).not.toContainText(/pending/i);
  }
  await expect(page.getByRole('row', { name: /Built-in extractive answerer/ })).toContainText('n/a — built in');
});

test('"Sync proxy now" is offered only when a proxy is configured', async ({ page }) => {
  // This stack has a (fake) LiteLLM proxy: the action is there.
  await expect(page.getByRole('button', { name: 'Sync proxy now' })).toBeVisible();
  // A deployment without one answers configured: false; the page says there is nothing to sync.
  await page.route('**/api/v1/admin/models/sync', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), configured: false } });
  });
  await page.reload();
  await expect(page.getByRole('table', { name: 'Models' })).toBeVisible();
  await expect(page.getByText('No LiteLLM proxy is configured, so there is nothing to sync')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sync proxy now' })).toHaveCount(0);
});

test('a KB model picker marks a model whose last connection test failed', async ({ page }) => {
  const data = seeded();
  const admin = await ApiSession.signIn(data.baseURL, USERS.admin.email, USERS.admin.password);
  const name = `E2E broken llama ${Date.now().toString(36)}`;
  const created = await admin.post<{ id: string }>('/api/v1/admin/models', {
    type: 'generation',
    provider: 'ollama',
    name,
    model_id: 'no-such-model',
    api_endpoint: data.ollamaUrl,
    config: { context_window: 8192, max_output_tokens: 1024 },
  });
  try {
    const test = await admin.post<{ success: boolean }>(`/api/v1/admin/models/${created.id}/test`);
    expect(test.success).toBe(false);
    await page.goto('/kbs/new');
    const picker = page.getByLabel('Generation model');
    const option = picker.locator('option', { hasText: name });
    await expect(option).toHaveText(/unhealthy/);
    await expect(picker.locator('option', { hasText: MODELS.ollamaGeneration.name })).not.toHaveText(/unhealthy/);
    await picker.selectOption({ label: (await option.textContent()) ?? name });
    const note = page.getByTestId('model-unhealthy-generation');
    await expect(note).toBeVisible();
    await expect(note).toContainText('unhealthy');
    await expect(note).toContainText(`The last connection test of ${name} failed`);
  } finally {
    await admin.delete(`/api/v1/admin/models/${created.id}`);
    await admin.dispose();
  }
});
