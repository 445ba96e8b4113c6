import { ConfigUpdated } from '@lumikb/contracts';
import { createTestPlatform, testLogger } from '@lumikb/test-kit';
import t from 'tap';
import { buildApp, connect, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { buildTestApp, encryptionKeys } from './helper.ts';
import { client, createModel, ollamaEmbedding, openaiGeneration, outboxEvents } from './support.ts';

t.test('on first start the built-in local models become the defaults, once, even with two replicas', async (t) => {
  const platform = await createTestPlatform(t, { schemas: [{ schema: SCHEMA, migrations }], streams: STREAMS_USED });
  const config = readConfig({ ENCRYPTION_KEYS: encryptionKeys(), ...platform.env });
  const startReplica = async () => {
    const deps = await connect(config, { runMigrations: false });
    const app = await buildApp(config, { ...deps, logger: testLogger('registry') });
    t.teardown(() => app.close());
    await app.ready();
    return app;
  };
  // Two replicas starting at the same moment on an empty database.
  const [first] = await Promise.all([startReplica(), startReplica()]);
  const admin = client(first!, platform.tokens.admin);
  const models = (await admin.get('/api/v1/admin/models')).body;
  t.equal(models.total, 2, 'exactly one embedding and one generation model');
  t.match(models.items, [
    { type: 'embedding', provider: 'local', model_id: 'lumikb-hash-embed-v2', is_default: true, status: 'active' },
    { type: 'generation', provider: 'local', model_id: 'lumikb-extractive-v1', is_default: true, status: 'active' },
  ]);
  t.equal(models.items[0].config.dimensions, 1024, 'the v2 built-in embedder');
  t.equal(models.items[0].sync_status, 'not_applicable', 'local models are never pushed to the proxy');

  // A restart registers nothing more.
  const restarted = await startReplica();
  t.equal((await client(restarted, platform.tokens.admin).get('/api/v1/admin/models')).body.total, 2);

  const llm = (await admin.get('/api/v1/admin/llm/config')).body;
  t.equal(llm.default_embedding_model_id, models.items[0].id);
  t.equal(llm.default_generation_model_id, models.items[1].id);
  t.match(llm.default_embedding_model, { provider: 'local', dimensions: 1024, distance_metric: 'cosine' });
});

t.test('with REGISTER_LOCAL_MODELS=false the first active model of a type becomes its default', async (t) => {
  const test = await buildTestApp(t, { REGISTER_LOCAL_MODELS: 'false' });
  const admin = client(test.app, test.tokens.admin);
  t.equal((await admin.get('/api/v1/admin/models')).body.total, 0);
  const inactive = await createModel(admin, ollamaEmbedding({ status: 'inactive' }));
  t.equal(inactive.is_default, false, 'an inactive model cannot be the default');
  const first = await createModel(admin, ollamaEmbedding());
  t.equal(first.is_default, true);
  const second = await createModel(admin, ollamaEmbedding());
  t.equal(second.is_default, false);
  const [changed] = await outboxEvents(test, 'model.default_changed');
  t.same(changed?.data, { type: 'embedding', model_id: first.id, previous_model_id: null });
});

t.test('defaults: only active models, never left without one', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const localDefault = (await admin.get('/api/v1/admin/models?type=generation&is_default=true')).body.items[0];
  const gpt = await createModel(admin, openaiGeneration());
  const inactive = await createModel(admin, openaiGeneration({ status: 'inactive' }));

  const notActive = await admin.post(`/api/v1/admin/models/${inactive.id}/set-default`);
  t.equal(notActive.status, 409);
  t.equal(notActive.body.code, 'MODEL_NOT_ACTIVE');

  const missing = await admin.post('/api/v1/admin/models/5f0c6a6e-7b55-4c1e-9a55-0d9f3b6c1a11/set-default');
  t.equal(missing.status, 404);
  t.equal(missing.body.code, 'MODEL_NOT_FOUND');

  const configBefore = (await outboxEvents(test, ConfigUpdated.type)).length;
  const made = await admin.post(`/api/v1/admin/models/${gpt.id}/set-default`);
  t.equal(made.status, 200);
  t.match(made.body, { id: gpt.id, is_default: true, warnings: [] });
  const previous = await admin.get(`/api/v1/admin/models/${localDefault.id}`);
  t.equal(previous.body.is_default, false, 'the previous default is no longer default');
  const changes = await outboxEvents(test, 'model.default_changed');
  t.same(changes.at(-1)?.data, { type: 'generation', model_id: gpt.id, previous_model_id: localDefault.id });
  const configs = await outboxEvents(test, ConfigUpdated.type);
  t.equal(configs.length, configBefore + 1, 'the change is published as config.updated');
  t.match(configs.at(-1)?.data, {
    reason: 'changed',
    scope: 'llm',
    changed_fields: ['llm.default_generation_model_id'],
    llm: { default_generation_model_id: gpt.id },
  });

  const again = await admin.post(`/api/v1/admin/models/${gpt.id}/set-default`);
  t.equal(again.status, 200, 'setting the default again is harmless');
  t.equal((await outboxEvents(test, 'model.default_changed')).length, changes.length, 'and announces nothing');

  for (const status of ['inactive', 'deprecated']) {
    const deactivate = await admin.put(`/api/v1/admin/models/${gpt.id}`, { status });
    t.equal(deactivate.status, 409, `the default cannot become ${status}`);
    t.equal(deactivate.body.code, 'DEFAULT_MODEL_REQUIRED');
    t.match(deactivate.body.message, /make another model the default/);
  }
  const remove = await admin.delete(`/api/v1/admin/models/${gpt.id}`);
  t.equal(remove.status, 409);
  t.equal(remove.body.code, 'DEFAULT_MODEL_REQUIRED');
  t.equal((await admin.get(`/api/v1/admin/models/${gpt.id}`)).body.status, 'active', 'nothing changed');

  await admin.post(`/api/v1/admin/models/${localDefault.id}/set-default`);
  t.equal((await admin.put(`/api/v1/admin/models/${gpt.id}`, { status: 'inactive' })).status, 200);
  t.equal((await admin.delete(`/api/v1/admin/models/${gpt.id}`)).status, 204, 'once another is default it can go');
});

t.test('concurrent default changes leave exactly one default', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const models = await Promise.all([1, 2, 3, 4].map(() => createModel(admin, ollamaEmbedding())));
  const results = await Promise.all(models.map((m) => admin.post(`/api/v1/admin/models/${m.id}/set-default`)));
  t.same(
    results.map((r) => r.status),
    [200, 200, 200, 200],
  );
  const defaults = (await admin.get('/api/v1/admin/models?type=embedding&is_default=true')).body;
  t.equal(defaults.total, 1);
  const config = (await admin.get('/api/v1/admin/llm/config')).body;
  t.equal(config.default_embedding_model_id, defaults.items[0].id, 'the settings name the same default');
});
