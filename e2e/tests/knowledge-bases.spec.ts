/** 7-10 Knowledge bases: creation with model selection, the collection, settings with the embedding lock. */
import { KBS, MODELS, seeded } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { adminApi, createKb, deleteKb, unique } from '../support/kb.ts';

interface ModelConfig {
  embedding_model_id: string;
  generation_model_id: string;
  dimensions: number;
  distance_metric: string;
  config_overrides: Record<string, unknown>;
  embedding_model_locked: boolean;
}

test('an operator creates a KB with models chosen among the active ones, overrides, and its collection', async ({
  page,
  signIn,
}) => {
  const data = seeded();
  const api = await adminApi();
  const name = unique('E2E Pumps');
  let kbId: string | undefined;
  try {
    await signIn('operator');
    await page.goto('/kbs');
    await page.getByRole('link', { name: 'New knowledge base' }).click();
    await expect(page).toHaveURL(/\/kbs\/new$/);

    // Only active models are offered, and the defaults come preselected with their facts.
    const available = await api.get<{ items: { id: string; type: string }[] }>('/api/v1/models/available');
    const embedding = page.getByLabel('Embedding model');
    const generation = page.getByLabel('Generation model');
    await expect(embedding).toHaveValue(data.models.localEmbedding);
    await expect(generation).toHaveValue(data.models.localGeneration);
    const offered = await embedding
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered.sort()).toEqual(
      available.items
        .filter((m) => m.type === 'embedding')
        .map((m) => m.id)
        .sort(),
    );
    const embeddingInfo = page.getByTestId('model-info-embedding');
    await expect(embeddingInfo).toContainText('Built-in (local)');
    await expect(embeddingInfo).toContainText('1,024');

    // Choosing another model shows its dimensions, provider and context window.
    await embedding.selectOption(data.models.ollamaEmbedding);
    await expect(embeddingInfo).toContainText('Ollama');
    await expect(embeddingInfo).toContainText(String(MODELS.ollamaEmbedding.dimensions));
    await expect(embeddingInfo).toContainText(MODELS.ollamaEmbedding.model_id);
    await generation.selectOption(data.models.ollamaGeneration);
    const generationInfo = page.getByTestId('model-info-generation');
    await expect(generationInfo).toContainText('Ollama');
    await expect(generationInfo).toContainText('8,192 tokens');

    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Description').fill('Pump manuals for the e2e suite');
    await page.getByRole('button', { name: 'Show overrides' }).click();
    await page.getByLabel('Chunk size').fill('500');
    await page.getByLabel('Chunk overlap').fill('600');
    await page.getByLabel('Passages for chat (top k)').fill('3');
    await page.getByRole('button', { name: 'Create knowledge base' }).click();
    // The overlap rule is checked before anything is sent.
    await expect(page.getByText('Must be smaller than the chunk size (500)')).toBeVisible();
    await page.getByLabel('Chunk overlap').fill('50');
    await page.getByRole('button', { name: 'Create knowledge base' }).click();

    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    kbId = /\/kbs\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
    expect(kbId, page.url()).toBeTruthy();
    const summary = page.getByRole('definition').filter({ hasText: 'dimensions' });
    await expect(summary).toContainText(`${MODELS.ollamaEmbedding.dimensions} dimensions`);

    // The server holds what was chosen, and the collection exists with the model's size.
    const config = await api.get<ModelConfig>(`/api/v1/knowledge-bases/${kbId}/model-config`);
    expect(config.embedding_model_id).toBe(data.models.ollamaEmbedding);
    expect(config.generation_model_id).toBe(data.models.ollamaGeneration);
    expect(config.dimensions).toBe(MODELS.ollamaEmbedding.dimensions);
    expect(config.distance_metric).toBe('cosine');
    expect(config.config_overrides).toEqual({ chunk_size: 500, chunk_overlap: 50, top_k: 3 });
    const kb = await api.get<{ collection: string }>(`/api/v1/knowledge-bases/${kbId}`);
    expect(kb.collection).toBe(`kb_${kbId}`);
    const stats = await api.get<{ items: { kb_id: string; vector_count: number | null }[] }>('/api/v1/admin/kb-stats');
    expect(stats.items.find((s) => s.kb_id === kbId)?.vector_count).toBe(0);
  } finally {
    if (kbId) await deleteKb(api, kbId);
    await api.dispose();
  }
});

test('the embedding model is locked once a KB has documents; the generation model still changes', async ({
  page,
  signIn,
}) => {
  const data = seeded();
  const api = await adminApi();
  const empty = await createKb(api, { name: unique('E2E Empty') });
  try {
    await signIn('admin');
    await page.goto(`/kbs/${data.kbs.handbook}`);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Settings · ${KBS.handbook.name}`);

    const models = page.getByRole('form', { name: 'Model settings' });
    await expect(models.getByRole('alert')).toContainText('The embedding model is locked.');
    await expect(models.getByRole('alert')).toContainText(/document/);
    await expect(models.getByLabel('Embedding model')).toBeDisabled();
    await expect(models.getByTestId('embedding-lock')).toContainText('Locked');
    await expect(models.getByLabel('Generation model')).toBeEnabled();

    // The generation model changes without reprocessing; the server confirms it.
    await models.getByLabel('Generation model').selectOption(data.models.ollamaGeneration);
    await expect(models.getByTestId('model-info-generation')).toContainText('Ollama');
    await models.getByRole('button', { name: 'Save model settings' }).click();
    await expect(models.getByTestId('model-config-saved')).toContainText(
      `generation model → ${MODELS.ollamaGeneration.name}`,
    );
    const after = await api.get<ModelConfig>(`/api/v1/knowledge-bases/${data.kbs.handbook}/model-config`);
    expect(after.generation_model_id).toBe(data.models.ollamaGeneration);
    expect(after.embedding_model_id).toBe(data.models.localEmbedding);

    // An empty KB may still change its embedding model: the collection follows it.
    await page.goto(`/kbs/${empty.id}/settings`);
    const emptyModels = page.getByRole('form', { name: 'Model settings' });
    await expect(emptyModels.getByLabel('Embedding model')).toBeEnabled();
    await expect(emptyModels.getByText('The embedding model is locked.')).toHaveCount(0);
    await emptyModels.getByLabel('Embedding model').selectOption(data.models.ollamaEmbedding);
    await emptyModels.getByRole('button', { name: 'Save model settings' }).click();
    await expect(emptyModels.getByTestId('model-config-saved')).toContainText(
      `collection recreated with ${MODELS.ollamaEmbedding.dimensions} dimensions`,
    );
    const changed = await api.get<ModelConfig>(`/api/v1/knowledge-bases/${empty.id}/model-config`);
    expect(changed.dimensions).toBe(MODELS.ollamaEmbedding.dimensions);
  } finally {
    await api.put(`/api/v1/knowledge-bases/${data.kbs.handbook}/model-config`, {
      generation_model_id: data.models.localGeneration,
    });
    await deleteKb(api, empty.id);
    await api.dispose();
  }
});

test('a reader sees the KB, its documents and settings, but no upload, no create and no editing', async ({
  page,
  signIn,
}) => {
  const data = seeded();
  await signIn('user');
  await page.goto('/kbs');
  await expect(page.getByRole('link', { name: 'New knowledge base' })).toHaveCount(0);
  const cards = page.getByRole('list', { name: 'Knowledge bases' });
  await expect(cards.getByRole('listitem')).toHaveCount(1);
  await cards.getByRole('link', { name: KBS.handbook.name, exact: true }).click();

  await expect(page.getByRole('heading', { level: 1, name: KBS.handbook.name })).toBeVisible();
  await expect(page.getByText('uploading needs WRITE access')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Choose files' })).toHaveCount(0);
  const table = page.getByRole('table', { name: 'Documents' });
  await expect(table.getByRole('row', { name: /handbook\.md/ })).toContainText(/ready/i);
  await expect(table.getByRole('button', { name: /^Delete / })).toHaveCount(0);

  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText('changing them needs ADMIN on this knowledge base')).toBeVisible();
  await expect(page.getByLabel('Generation model')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Save model settings' })).toHaveCount(0);

  // Creating is for operators: the route says so instead of failing later.
  await page.goto('/kbs/new');
  await expect(page.getByTestId('not-permitted')).toBeVisible();
  // A KB the user cannot read does not exist for them.
  await page.goto(`/kbs/${data.kbs.ollama}`);
  await expect(page.getByRole('alert')).toContainText('KB_NOT_FOUND');
});

test('the knowledge-base pages fit a 390 px phone without sideways scrolling', async ({ page, signIn }, testInfo) => {
  const data = seeded();
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn('admin');
  const handbook = `/kbs/${data.kbs.handbook}`;
  for (const path of [
    '/kbs',
    '/kbs/new',
    handbook,
    `${handbook}/settings`,
    `${handbook}/documents/${data.documents.ready}?chunk=0`,
    '/search?q=vacation',
    `/chat?kb=${data.kbs.handbook}`,
  ]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: /Loading|Searching/ })).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
    await testInfo.attach(`${path} at 390 px`, { body: await page.screenshot(), contentType: 'image/png' });
  }
});
