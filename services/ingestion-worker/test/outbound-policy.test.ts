/**
 * The worker's embedding calls go through the outbound policy with the platform's own
 * service addresses: an embedding model pointed at one of them (here the address the
 * worker is told proxy-sync has) is refused without a single request reaching it.
 */
import { modelView, registerModel } from '@lumikb/knowledge-base/testing';
import { startFakeOllama } from '@lumikb/test-kit';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

t.test("an embedding endpoint at one of the platform's own services is refused", async (t) => {
  const target = await startFakeOllama(t);
  const pipeline = await startPipeline(t, { workerEnv: { PROXY_SYNC_URL: target.url } });
  const { api, kb: kbApp } = pipeline;
  const model = await registerModel(
    kbApp,
    modelView({
      type: 'embedding',
      provider: 'ollama' as never,
      name: 'Pointed at proxy-sync',
      model_id: 'all-minilm',
      api_endpoint: target.url,
      config: { dimensions: 384, max_tokens: 512, normalize: true, distance_metric: 'cosine', batch_size: 16 },
    }),
  );
  const kb = await api.createKb({ name: 'Fenced', embedding_model_id: model.id });
  const doc = await api.upload(kb.id, 'notes.txt', 'Pumps need oil every month.');
  const done = await api.waitForStatus(kb.id, doc.id, ['READY', 'FAILED']);
  t.equal(done.status, 'FAILED');
  t.match(
    done.error_message,
    /^Embedding failed: Refused to call Ollama: .* is one of this platform's own services/,
    'the refusal is the reason',
  );
  t.same(target.requestsTo('/api/embed'), [], 'no embedding request reached the service');
});
