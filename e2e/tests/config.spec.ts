/** 7-2 Configuration: hot-reloaded settings with feedback, dimension-mismatch warning, model health. */
import { KBS, MODELS, seeded, USERS } from '../fixtures/data.ts';
import { expect, test } from '../fixtures/test.ts';
import { ApiSession } from '../support/api.ts';

test.beforeEach(async ({ page, signIn }) => {
  await signIn('admin');
  await page.goto('/admin/config');
});

test('a default embedding model of another dimension warns and lists the knowledge bases it does not fit', async ({
  page,
}) => {
  const data = seeded();
  const admin = await ApiSession.signIn(data.baseURL, USERS.admin.email, USERS.admin.password);
  try {
    const form = page.getByRole('form', { name: 'LLM settings' });
    await form
      .getByLabel('Default embedding model')
      .selectOption({ label: `${MODELS.ollamaEmbedding.name} · ${MODELS.ollamaEmbedding.dimensions} dims` });
    await form.getByRole('button', { name: 'Save LLM settings' }).click();
    await expect(form.getByTestId('reload-feedback')).toContainText('Applied without a restart');
    await expect(form.getByTestId('reload-feedback')).toContainText('default embedding model id');
    const warning = form.getByTestId('config-warning');
    await expect(warning).toContainText('Dimension mismatch');
    await expect(warning).toContainText(`${KBS.handbook.name} (1024 dimensions)`);
    await expect(warning).not.toContainText(KBS.ollama.name);

    // The change is live: the registry now names the Ollama model as the default.
    const config = await admin.get<{ default_embedding_model_id: string }>('/api/v1/admin/llm/config');
    expect(config.default_embedding_model_id).toBe(data.models.ollamaEmbedding);
  } finally {
    await admin.put('/api/v1/admin/llm/config', { default_embedding_model_id: data.models.localEmbedding });
    await admin.dispose();
  }
});

test('a lower upload limit is enforced by the knowledge-base service without a restart', async ({ page }) => {
  const data = seeded();
  const admin = await ApiSession.signIn(data.baseURL, USERS.admin.email, USERS.admin.password);
  const twoMiB = `${'LumiKB upload limit test line.\n'.repeat(70_000)}`;
  try {
    const form = page.getByRole('form', { name: 'System settings' });
    await form.getByLabel('Max upload size (MiB)').fill('1');
    await form.getByRole('button', { name: 'Save system settings' }).click();
    await expect(form.getByTestId('reload-feedback')).toContainText('Changed max upload size mb');

    // Within seconds the running KB service refuses a 2 MiB file (it accepted 50 MiB before).
    await expect
      .poll(
        async () => {
          const res = await admin.ctx.post(`/api/v1/knowledge-bases/${data.kbs.ollama}/documents`, {
            multipart: { file: { name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.from(twoMiB) } },
          });
          if (res.ok())
            await admin.delete(`/api/v1/knowledge-bases/${data.kbs.ollama}/documents/${(await res.json()).id}`);
          return res.status();
        },
        { timeout: 15_000, intervals: [500] },
      )
      .toBe(413);

    // Reloading the page shows the stored value.
    await page.reload();
    await expect(page.getByRole('form', { name: 'System settings' }).getByLabel('Max upload size (MiB)')).toHaveValue(
      '1',
    );
  } finally {
    await admin.put('/api/v1/admin/config', { max_upload_size_mb: 50 });
    await admin.dispose();
  }
});

test('invalid settings are refused with the server message and nothing changes', async ({ page }) => {
  const form = page.getByRole('form', { name: 'System settings' });
  await form.getByLabel('Session timeout (minutes)').fill('1');
  await form.getByRole('button', { name: 'Save system settings' }).click();
  await expect(form.getByRole('alert')).toContainText('Not saved');
  await expect(form.getByRole('alert')).toContainText('session_timeout_minutes');
  await page.reload();
  await expect(page.getByRole('form', { name: 'System settings' }).getByLabel('Session timeout (minutes)')).toHaveValue(
    '480',
  );
});

test('model health shows each active model and probes them on demand', async ({ page }) => {
  const health = page.getByRole('table', { name: 'Model health' });
  await expect(health.getByRole('row', { name: new RegExp(MODELS.ollamaGeneration.name) })).toBeVisible();
  await page.getByRole('button', { name: 'Check all now' }).click();
  await expect(page.getByTestId('health-summary')).toContainText('probed');
  await expect(health.getByRole('row', { name: new RegExp(MODELS.ollamaGeneration.name) })).toContainText('healthy');
});
