import { randomBytes } from 'node:crypto';
import { ModelSynced, ModelSyncFailed, proxyAlias, STREAMS } from '@lumikb/contracts';
import { sql } from '@lumikb/db';
import { ConfigError } from '@lumikb/service-kit';
import { createTestPlatform, type Teardown, type TestPlatform, testLogger, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { buildApp, connect, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { buildTestApp } from './helper.ts';
import { client, createModel, ollamaEmbedding, openaiGeneration, publishEvent } from './support.ts';

t.test('only service identities get decrypted keys, from the internal routes', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const service = client(test.app, test.tokens.service('proxy-sync'));
  const gpt = await createModel(admin, openaiGeneration({ api_key: 'sk-internal-0001' }));
  const parked = await createModel(admin, openaiGeneration({ api_key: 'sk-internal-0002', status: 'inactive' }));

  const one = await test.app.inject({
    method: 'GET',
    url: `/internal/models/${gpt.id}/credentials`,
    headers: { authorization: `Bearer ${test.tokens.service('proxy-sync')}` },
  });
  t.equal(one.statusCode, 200);
  t.equal(one.headers['cache-control'], 'no-store');
  t.match(one.json(), {
    id: gpt.id,
    provider: 'openai',
    model_id: 'gpt-4o-mini',
    has_api_key: true,
    api_key: 'sk-internal-0001',
  });

  const active = (await service.get('/internal/models?status=active')).body.items;
  t.same(
    active.map((m: { id: string }) => m.id).sort(),
    [
      gpt.id,
      ...active.filter((m: { provider: string }) => m.provider === 'local').map((m: { id: string }) => m.id),
    ].sort(),
  );
  t.notOk(
    active.some((m: { id: string }) => m.id === parked.id),
    'filtered by status',
  );
  t.ok(
    active
      .filter((m: { provider: string }) => m.provider === 'local')
      .every((m: { api_key: null }) => m.api_key === null),
  );
  const all = (await service.get('/internal/models')).body.items;
  t.equal(all.length, 4);

  for (const token of [test.tokens.admin, test.tokens.user]) {
    const refused = await client(test.app, token).get(`/internal/models/${gpt.id}/credentials`);
    t.equal(refused.status, 403, 'user tokens, even an admin, are refused');
  }
  t.equal((await service.get('/internal/models/6c1f1d6e-2f3a-4b6c-8d9e-0a1b2c3d4e5f/credentials')).status, 404);
  t.equal((await service.get('/api/v1/admin/models')).status, 403, 'and services cannot use admin routes');
});

/** Starts the registry on an existing test database with the given ENCRYPTION_KEYS. */
async function startOn(t: Teardown, platform: TestPlatform, keys: string) {
  const config = readConfig({ ...platform.env, ENCRYPTION_KEYS: keys });
  const deps = await connect(config, { runMigrations: false });
  const app = await buildApp(config, { ...deps, logger: testLogger('registry') });
  await app.ready();
  t.teardown(() => app.close());
  return { app, db: deps.db.db };
}

t.test('encryption keys rotate: old ciphertexts are re-encrypted at start; missing keys are reported', async (t) => {
  const platform = await createTestPlatform(t, { schemas: [{ schema: SCHEMA, migrations }], streams: STREAMS_USED });
  const k1 = `k1:${randomBytes(32).toString('base64')}`;
  const k2 = `k2:${randomBytes(32).toString('base64')}`;
  const keyIds = async (db: Awaited<ReturnType<typeof startOn>>['db']) =>
    (await db.selectFrom('llm_models').select('api_key_key_id').where('api_key_key_id', 'is not', null).execute()).map(
      (r) => r.api_key_key_id,
    );

  const first = await startOn(t, platform, k1);
  const admin = client(first.app, platform.tokens.admin);
  const a = await createModel(admin, openaiGeneration({ api_key: 'sk-rotate-aaaa' }));
  const b = await createModel(admin, openaiGeneration({ api_key: 'sk-rotate-bbbb' }));
  t.same(await keyIds(first.db), ['k1', 'k1']);
  await first.app.close();

  const rotated = await startOn(t, platform, `${k2},${k1}`);
  t.same(await keyIds(rotated.db), ['k2', 'k2'], 're-encrypted with the new key at start');
  const service = (app: typeof rotated.app) => client(app, platform.tokens.service('proxy-sync'));
  t.equal((await service(rotated.app).get(`/internal/models/${a.id}/credentials`)).body.api_key, 'sk-rotate-aaaa');
  await rotated.app.close();

  const onlyNew = await startOn(t, platform, k2);
  t.equal(
    (await service(onlyNew.app).get(`/internal/models/${b.id}/credentials`)).body.api_key,
    'sk-rotate-bbbb',
    'the old key can be retired',
  );

  // A row whose ciphertext was copied from another row does not decrypt (bound to its id).
  await sql`update registry.llm_models set api_key_ciphertext = (select api_key_ciphertext from registry.llm_models where id = ${a.id}) where id = ${b.id}`.execute(
    onlyNew.db,
  );
  const tampered = await service(onlyNew.app).get(`/internal/models/${b.id}/credentials`);
  t.equal(tampered.status, 503);
  t.equal(tampered.body.code, 'CREDENTIALS_UNREADABLE');
  await onlyNew.app.close();

  const wrongKey = await startOn(t, platform, k1);
  const unreadable = await service(wrongKey.app).get(`/internal/models/${a.id}/credentials`);
  t.equal(unreadable.status, 503, 'a key that was removed too early is reported, not guessed');
  t.match(unreadable.body, { code: 'CREDENTIALS_UNREADABLE', message: /key "k2", which is not in ENCRYPTION_KEYS/ });
  const list = (await service(wrongKey.app).get('/internal/models?status=active')).body.items;
  t.match(
    list.find((m: { id: string }) => m.id === a.id),
    { api_key: null, credentials_error: /not in ENCRYPTION_KEYS/ },
    'one unreadable key does not block the others',
  );
  const test = await client(wrongKey.app, platform.tokens.admin).post(`/api/v1/admin/models/${a.id}/test`);
  t.equal(test.body.code, 'CREDENTIALS_UNREADABLE');
});

t.test('ENCRYPTION_KEYS is required and checked without echoing key material', async (t) => {
  const base = { DATABASE_URL: 'postgres://x@h/db', NATS_URL: 'nats://h:4222', JWT_PUBLIC_KEY: 'pem' };
  t.throws(() => readConfig(base), ConfigError);
  const short = 'k1:c2hvcnQta2V5';
  const error = (() => {
    try {
      readConfig({ ...base, ENCRYPTION_KEYS: `${short},bad id:${randomBytes(32).toString('base64')}` });
    } catch (e) {
      return e as ConfigError;
    }
  })();
  t.ok(error instanceof ConfigError);
  t.match(error?.message, /entry 1 \("k1"\): the key must be 32 bytes/);
  t.match(error?.message, /entry 2 must look like "kid:base64key"/);
  t.notOk(error?.message.includes('c2hvcnQta2V5'), 'the key material is not in the message');
  const dup = `k1:${randomBytes(32).toString('base64')}`;
  t.throws(() => readConfig({ ...base, ENCRYPTION_KEYS: `${dup},${dup}` }), /appears twice/);
});

t.test('proxy sync state from model.synced / model.sync_failed is shown per model', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const model = await createModel(admin, ollamaEmbedding());
  const state = async () => (await admin.get(`/api/v1/admin/models/${model.id}`)).body;
  t.match(await state(), { sync_status: 'pending', sync_error: null, synced_at: null });

  await publishEvent(test.bus, ModelSyncFailed, {
    id: model.id,
    alias: proxyAlias(model.id),
    error: 'LiteLLM proxy unreachable: connect ECONNREFUSED',
    attempts: 3,
  });
  await waitFor(async () => (await state()).sync_status === 'failed', { what: 'the failure to show' });
  t.match((await state()).sync_error, /ECONNREFUSED \(after 3 attempts\)/);

  const syncedAt = new Date().toISOString();
  await publishEvent(test.bus, ModelSynced, { id: model.id, alias: proxyAlias(model.id), synced_at: syncedAt });
  await waitFor(async () => (await state()).sync_status === 'synced', { what: 'the sync to show' });
  t.match(await state(), { sync_error: null, synced_at: syncedAt });

  const changed = await admin.put(`/api/v1/admin/models/${model.id}`, { config: { batch_size: 8 } });
  t.equal(changed.body.sync_status, 'pending', 'a change must be synced again');

  // A report about the revision before the change does not mark the new one synced.
  await publishEvent(test.bus, ModelSynced, { id: model.id, alias: proxyAlias(model.id), synced_at: syncedAt });
  await publishEvent(test.bus, ModelSynced, {
    id: '0f0e0d0c-0b0a-4909-8807-060504030201',
    alias: 'db-0f0e0d0c-0b0a-4909-8807-060504030201',
    synced_at: new Date().toISOString(),
  });
  const drained = async () => {
    const info = await test.bus.jsm.consumers.info(test.bus.streamName(STREAMS.MODELS), 'registry-sync-state');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  await waitFor(drained, { what: 'both reports to be consumed' });
  t.equal((await state()).sync_status, 'pending', 'the stale report was ignored');
  t.equal(
    (await admin.get('/api/v1/admin/models?provider=ollama')).body.total,
    1,
    'no model appeared for the unknown id',
  );

  const fresh = new Date(Date.now() + 1_000).toISOString();
  await publishEvent(test.bus, ModelSynced, { id: model.id, alias: proxyAlias(model.id), synced_at: fresh });
  await waitFor(async () => (await state()).synced_at === fresh, { what: 'the newer sync' });
  t.equal((await state()).sync_status, 'synced');
});
