/** Reranking (issue 14): an admin adds a rerank model in the Models dialog and binds it to a knowledge base. */
import { seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, unique } from '../support/kb.ts';

interface ModelConfig {
  config_overrides: { rerank?: { model_id: string; top_n?: number } };
  effective_config: { rerank: { model_id: string; top_n: number } | null };
}

test('a rerank model added in the UI, tested against the reranker, bound to a KB with its top n', async ({
  page,
  signIn,
}) => {
  const { rerankUrl } = seeded();
  test.skip(!rerankUrl, 'the global setup started no fake reranker');
  test.slow(); // two pages, a connection test and three saves
  const api = await adminApi();
  const kb = await createKb(api, { name: unique('E2E Reranked') });
  const name = unique('E2E Reranker');
  try {
    await signIn('admin');
    await page.goto('/admin/models');
    await expect(page.getByRole('table', { name: 'Models' })).toBeVisible();
    // Enabled once the provider descriptions have loaded.
    await expect(page.getByRole('button', { name: 'Add model' })).toBeEnabled({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a model' });
    await dialog.getByRole('radio', { name: /Rerank/ }).check();
    // Only providers with a rerank API are offered; the rerank parameters replace the others.
    const providers = await dialog.getByLabel('Provider').locator('option').allTextContents();
    expect(providers.some((p) => /Ollama/.test(p))).toBe(false);
    await dialog.getByLabel('Provider').selectOption({ label: 'Custom (OpenAI-compatible)' });
    await expect(dialog.getByLabel('Max passages per call')).toHaveValue('100');
    await expect(dialog.getByLabel('Dimensions')).toHaveCount(0);

    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Base URL').fill(rerankUrl!);
    await dialog.getByLabel('Model', { exact: true }).fill('bge-reranker-v2-m3');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const result = dialog.getByTestId('connection-result');
    await expect(result).toHaveAttribute('data-success', 'true');
    await expect(result).toContainText('Rerank works');
    await dialog.getByRole('button', { name: 'Add model' }).click();
    await expect(dialog).toBeHidden();
    const row = page.getByRole('row', { name: new RegExp(name) });
    await expect(row).toContainText('Rerank');

    await page.goto(`/kbs/${kb.id}/settings`);
    const form = page.getByRole('form', { name: 'Model settings' });
    await expect(form.getByLabel('Passages reranked (top n)')).toBeDisabled();
    await form.getByLabel('Rerank model').selectOption({ label: name });
    await form.getByLabel('Passages reranked (top n)').fill('8');
    await form.getByRole('button', { name: 'Save model settings' }).click();
    await expect(form.getByTestId('model-config-saved')).toBeVisible();

    const config = await api.get<ModelConfig>(`/api/v1/knowledge-bases/${kb.id}/model-config`);
    expect(config.effective_config.rerank?.top_n).toBe(8);
    const models = await api.get<{ items: { id: string; name: string }[] }>('/api/v1/admin/models?type=rerank');
    expect(config.effective_config.rerank?.model_id).toBe(models.items.find((m) => m.name === name)?.id);

    // After a reload the choice is shown; choosing "None" unbinds it.
    await page.reload();
    await expect(form.getByLabel('Rerank model')).toHaveValue(config.effective_config.rerank!.model_id);
    await form.getByLabel('Rerank model').selectOption('');
    await form.getByRole('button', { name: 'Save model settings' }).click();
    await expect(form.getByTestId('model-config-saved')).toBeVisible();
    const unbound = await api.get<ModelConfig>(`/api/v1/knowledge-bases/${kb.id}/model-config`);
    expect(unbound.effective_config.rerank).toBeNull();
  } finally {
    await deleteKb(api, kb.id);
  }
});
