/**
 * The embedding model is locked by documents whose vectors exist, not by every upload:
 * a KB whose first document failed to embed may still change its embedding model; once
 * a document is embedded, the model is locked ("1 document embedded").
 */
import { auth, modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { LlmRouter } from '@lumikb/llm';
import { startFakeOllama } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

t.test('a KB whose only document failed to embed is not locked; an embedded document locks it', async (t) => {
  const pipeline = await startPipeline(t, {
    workerEnv: { JOB_MAX_DELIVER: '1' },
    workerOptions: { llm: new LlmRouter({ retries: 0 }) },
  });
  const { api, kb: kbApp, models, tokens } = pipeline;
  const ollama = await startFakeOllama(t);
  const down = await registerModel(
    kbApp,
    modelView({
      type: 'embedding',
      provider: 'ollama' as never,
      name: 'Down embedder',
      model_id: 'all-minilm',
      api_endpoint: ollama.url,
      config: { dimensions: 384, max_tokens: 512, normalize: true, distance_metric: 'cosine', batch_size: 16 },
    }),
  );
  ollama.failWith({ status: 503, path: '/api/embed' });
  const kb = await api.createKb({ name: 'First upload failed', embedding_model_id: down.id });
  const doc = await api.upload(kb.id, 'notes.txt', 'Pumps need oil every month.');
  t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'FAILED', 'the embedding failed');

  const modelConfig = async () =>
    (
      await kbApp.app.inject({
        method: 'GET',
        url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
        headers: auth(tokens.operator),
      })
    ).json();
  t.match(await modelConfig(), { embedding_model_locked: false, lock_reason: null, document_count: 1 });
  const view = await kbApp.app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${kb.id}`,
    headers: auth(tokens.operator),
  });
  t.match(view.json(), { embedding_model_locked: false, document_count: 1 }, 'the KB page agrees');

  const change = await kbApp.app.inject({
    method: 'PUT',
    url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
    headers: auth(tokens.operator),
    payload: { embedding_model_id: models.embedding.id },
  });
  t.equal(change.statusCode, 200, 'the embedding model may still change');
  t.equal(change.json().embedding_model_id, models.embedding.id);

  const retry = await kbApp.app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/${doc.id}/retry`,
    headers: auth(tokens.operator),
  });
  t.ok(retry.statusCode < 300, `the failed document is retried (${retry.statusCode})`);
  t.equal((await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED'])).status, 'READY', 'embedded with the new model');
  t.match(await modelConfig(), { embedding_model_locked: true, lock_reason: /1 document embedded/ });
  const refused = await kbApp.app.inject({
    method: 'PUT',
    url: `/api/v1/knowledge-bases/${kb.id}/model-config`,
    headers: auth(tokens.operator),
    payload: { embedding_model_id: down.id },
  });
  t.equal(refused.statusCode, 409);
  t.equal(refused.json().code, 'EMBEDDING_MODEL_LOCKED');
});
