/** proxy-sync hands the proxy only endpoints the outbound policy would call itself. */
import { ModelCreated, ModelUpdated, type ModelView } from '@lumikb/contracts';
import { startFakeLiteLLM, testKeys, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp, modelView, publish, recordEvents, startFakeRegistry } from './helper.ts';

t.test('endpoints aimed at metadata, link-local or our own services never reach the proxy', async (t) => {
  const proxy = await startFakeLiteLLM(t, { masterKey: 'sk-master-test-key' });
  const registry = await startFakeRegistry(t, testKeys().publicKey);
  const built = await buildTestApp(t, {
    LITELLM_PROXY_URL: proxy.url,
    LITELLM_MASTER_KEY: 'sk-master-test-key',
    REGISTRY_URL: registry.url,
    SERVICE_CLIENT_SECRET: 'x'.repeat(32),
    SYNC_RETRY_MIN_MS: '50',
    SYNC_RETRY_MAX_MS: '200',
    RECONCILE_INTERVAL_MS: '0',
  });
  const events = recordEvents(t, built.bus, 'model.>');
  const save = async (view: ModelView, def: typeof ModelCreated | typeof ModelUpdated = ModelCreated) => {
    registry.models.set(view.id, { ...view, api_key: null });
    await publish(built.bus, def, def === ModelCreated ? { model: view } : { model: view, changed_fields: ['x'] });
  };
  const failureOf = (id: string) =>
    waitFor(() => events.find((e) => e.type === 'model.sync_failed' && (e.data as { id: string }).id === id), {
      what: `sync_failed for ${id}`,
    });

  const refused = [
    modelView({ provider: 'openai', api_endpoint: 'http://169.254.169.254/v1' }),
    modelView({ provider: 'custom', api_endpoint: 'http://[fe80::1]:8000/v1' }),
    modelView({ provider: 'custom', api_endpoint: `${registry.url}/v1` }),
    modelView({ provider: 'anthropic', api_endpoint: 'http://127.1:9999' }),
  ];
  const ollama = modelView({ provider: 'ollama', api_endpoint: 'http://localhost:11434', model_id: 'llama3.2' });
  for (const view of [...refused, ollama]) await save(view);

  for (const view of refused) {
    const failed = await failureOf(view.id);
    t.match((failed.data as { error: string }).error, /^OUTBOUND_TARGET_REFUSED: /, `${view.api_endpoint} refused`);
    t.notOk(proxy.deployment(view.id), 'not registered with the proxy');
  }
  await waitFor(() => proxy.deployment(ollama.id), { what: 'the local Ollama registered' });

  // Pointing a registered model at a refused endpoint takes it out of the proxy.
  await save(
    { ...ollama, api_endpoint: 'http://metadata.google.internal', updated_at: new Date().toISOString() },
    ModelUpdated,
  );
  await failureOf(ollama.id);
  await waitFor(() => !proxy.deployment(ollama.id), { what: 'the entry removed' });
  t.pass('the proxy no longer holds a model with a refused endpoint');
});
