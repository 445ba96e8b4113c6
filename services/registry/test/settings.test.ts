import { ConfigUpdated, KbCreated, STREAMS } from '@lumikb/contracts';
import { createServiceApp } from '@lumikb/service-kit';
import { enforceUploadLimit, SettingsSubscriber } from '@lumikb/settings';
import { createTestBus, testLogger, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { lastPublishedSettings, SettingsSnapshotKeeper } from '../src/settings/snapshot-keeper.ts';
import { buildTestApp } from './helper.ts';
import {
  client,
  createModel,
  kbSummary,
  ollamaEmbedding,
  openaiGeneration,
  outboxEvents,
  publishEvent,
} from './support.ts';

const MIB = 1024 * 1024;

t.test('system settings: each validated, changed one at a time, published and audited', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const initial = (await admin.get('/api/v1/admin/config')).body;
  t.match(initial, {
    version: 1,
    settings: { max_upload_size_mb: 50, session_timeout_minutes: 480, rate_limits: { login_attempts_per_minute: 10 } },
  });

  const changed = await admin.put('/api/v1/admin/config', {
    max_upload_size_mb: 200,
    rate_limits: { login_attempts_per_minute: 5 },
  });
  t.equal(changed.status, 200);
  t.match(changed.body, {
    version: 2,
    updated_by: 'level3@company.local',
    settings: {
      max_upload_size_mb: 200,
      session_timeout_minutes: 480,
      rate_limits: { login_attempts_per_minute: 5, api_requests_per_minute: 600 },
    },
  });
  const event = (await outboxEvents(test, ConfigUpdated.type)).at(-1);
  t.match(event?.data, {
    version: 2,
    reason: 'changed',
    scope: 'system',
    system: { max_upload_size_mb: 200 },
    llm: { generation_defaults: { temperature: 0.7 } },
  });
  t.same([...((event?.data as { changed_fields?: string[] })?.changed_fields ?? [])].sort(), [
    'system.max_upload_size_mb',
    'system.rate_limits.login_attempts_per_minute',
  ]);
  const audit = (await outboxEvents(test, 'audit.recorded')).at(-1);
  t.match(audit?.data, {
    action: 'config.updated',
    resource_type: 'system_settings',
    old_value: { max_upload_size_mb: 50 },
    new_value: { max_upload_size_mb: 200 },
  });

  const bad = [
    [{ max_upload_size_mb: 0 }, '/max_upload_size_mb'],
    [{ max_upload_size_mb: 4096 }, '/max_upload_size_mb'],
    [{ session_timeout_minutes: 1 }, '/session_timeout_minutes'],
    [{ rate_limits: { api_requests_per_minute: 1 } }, '/rate_limits/api_requests_per_minute'],
    [{ rate_limits: { unknown_limit: 3 } }, '/rate_limits'],
    [{ colour: 'blue' }, '/'],
    [{}, '/'],
  ] as const;
  for (const [body, path] of bad) {
    const refused = await admin.put('/api/v1/admin/config', body);
    t.equal(refused.status, 400, JSON.stringify(body));
    t.equal(refused.body.code, 'VALIDATION_FAILED');
    t.ok(
      refused.body.details.some((d: { path: string }) => d.path === path),
      `${JSON.stringify(body)} names ${path}`,
    );
  }
  const unchanged = await admin.put('/api/v1/admin/config', { max_upload_size_mb: 200 });
  t.equal(unchanged.body.version, 2, 'setting a value it already has changes nothing');
  t.equal((await admin.get('/api/v1/admin/config')).body.settings.rate_limits.login_attempts_per_minute, 5);
  t.equal((await client(test.app, test.tokens.operator).get('/api/v1/admin/config')).status, 403);
});

t.test('LLM configuration: defaults and generation settings, with a dimension-mismatch warning', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const nomic = await createModel(admin, ollamaEmbedding({ name: 'Nomic 768' }));
  const gpt = await createModel(admin, openaiGeneration());
  const parked = await createModel(admin, ollamaEmbedding({ status: 'inactive' }));
  const localEmbedder = (await admin.get('/api/v1/admin/llm/config')).body.default_embedding_model_id;

  // KBs of three vector sizes; the new default (768) differs from the 384 and 1024 ones.
  const small = kbSummary({
    name: 'Small',
    dimensions: 384,
    embedding_model_id: localEmbedder,
    generation_model_id: gpt.id,
  });
  const same = kbSummary({ name: 'Same', dimensions: 768, embedding_model_id: nomic.id, generation_model_id: gpt.id });
  const large = kbSummary({
    name: 'Large',
    dimensions: 1024,
    embedding_model_id: nomic.id,
    generation_model_id: gpt.id,
  });
  for (const kb of [small, same, large]) await publishEvent(test.bus, KbCreated, { kb });
  await waitFor(async () => (await admin.get(`/api/v1/admin/models/${gpt.id}`)).body.kb_count === 3);

  const versionBefore = (await admin.get('/api/v1/admin/llm/config')).body.version;
  const changed = await admin.put('/api/v1/admin/llm/config', {
    default_embedding_model_id: nomic.id,
    default_generation_model_id: gpt.id,
    generation_defaults: { temperature: 0.2, max_output_tokens: 2048 },
  });
  t.equal(changed.status, 200);
  t.match(changed.body.config, {
    version: versionBefore + 1,
    default_embedding_model_id: nomic.id,
    default_generation_model_id: gpt.id,
    default_embedding_model: { name: 'Nomic 768', dimensions: 768 },
    generation_defaults: { temperature: 0.2, max_output_tokens: 2048, top_p: 1 },
  });
  t.same(changed.body.changed_fields, [
    'llm.default_embedding_model_id',
    'llm.default_generation_model_id',
    'llm.generation_defaults.temperature',
    'llm.generation_defaults.max_output_tokens',
  ]);
  t.equal(changed.body.warnings.length, 1);
  t.match(changed.body.warnings[0], { code: 'EMBEDDING_DIMENSION_MISMATCH', message: /Large \(1024\).*Small \(384\)/ });
  t.same(
    changed.body.warnings[0].knowledge_bases.map((k: { name: string }) => k.name),
    ['Large', 'Small'],
    'exactly the KBs whose dimensions differ',
  );
  const events = await outboxEvents(test, ConfigUpdated.type);
  t.equal(events.filter((e) => (e.data as { version: number }).version === versionBefore + 1).length, 1, 'one event');
  t.equal((await admin.get(`/api/v1/admin/models/${nomic.id}`)).body.is_default, true);

  // The built-in default embedder (lumikb-hash-embed-v2) has 1024 dimensions: Small (384)
  // and Same (768) differ from it.
  const setDefault = await admin.post(`/api/v1/admin/models/${localEmbedder}/set-default`);
  t.same(
    setDefault.body.warnings[0].knowledge_bases.map((k: { name: string }) => k.name),
    ['Same', 'Small'],
    'set-default warns the same way',
  );

  const wrongType = await admin.put('/api/v1/admin/llm/config', { default_embedding_model_id: gpt.id });
  t.equal(wrongType.status, 400);
  t.equal(wrongType.body.code, 'MODEL_TYPE_MISMATCH');
  const notActive = await admin.put('/api/v1/admin/llm/config', { default_embedding_model_id: parked.id });
  t.equal(notActive.body.code, 'MODEL_NOT_ACTIVE');
  const unknown = await admin.put('/api/v1/admin/llm/config', {
    default_embedding_model_id: '3a1c51b2-0e1b-4f4e-8f1f-9c2f0d1e2a3b',
  });
  t.equal(unknown.status, 404);
  const outOfRange = await admin.put('/api/v1/admin/llm/config', { generation_defaults: { temperature: 3 } });
  t.equal(outOfRange.status, 400);
  t.equal(outOfRange.body.code, 'VALIDATION_FAILED');

  const atomic = await admin.put('/api/v1/admin/llm/config', {
    default_embedding_model_id: nomic.id,
    default_generation_model_id: nomic.id,
  });
  t.equal(atomic.body.code, 'MODEL_TYPE_MISMATCH');
  t.equal(
    (await admin.get('/api/v1/admin/llm/config')).body.default_embedding_model_id,
    localEmbedder,
    'a refused change leaves every part unchanged',
  );
});

t.test('another running service obeys a settings change without a restart', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);

  // A second service, built with the kit, holding settings through @lumikb/settings.
  const startUploadService = async () => {
    const { bus } = await createTestBus(t, { name: 'uploads', prefix: test.prefix });
    const settings = await SettingsSubscriber.start({ bus, logger: testLogger('uploads') });
    t.teardown(() => settings.stop());
    const app = await createServiceApp({
      service: 'uploads',
      logger: testLogger('uploads'),
      auth: { publicKey: test.keys.publicKey },
      readiness: () => [settings.readiness()],
    });
    app.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: 2048 * MIB },
      (_request, body, done) => done(null, body),
    );
    app.post(
      '/upload',
      { config: { access: 'user' }, bodyLimit: 2048 * MIB, preParsing: enforceUploadLimit(settings) },
      async (request) => ({ bytes: (request.body as Buffer).length }),
    );
    await app.ready();
    t.teardown(() => app.close());
    return { app, settings };
  };
  const upload = (app: Awaited<ReturnType<typeof startUploadService>>['app'], bytes: number) =>
    app.inject({
      method: 'POST',
      url: '/upload',
      headers: { authorization: `Bearer ${test.tokens.user}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(bytes, 1),
    });

  const running = await startUploadService();
  await running.settings.waitForVersion(1);
  t.equal(running.settings.system.max_upload_size_mb, 50, 'starts with the published settings');
  t.equal((await upload(running.app, 3 * MIB)).statusCode, 200);

  const changed = await admin.put('/api/v1/admin/config', { max_upload_size_mb: 2 });
  t.equal(changed.status, 200);
  await waitFor(async () => (await upload(running.app, 3 * MIB)).statusCode === 413, {
    what: 'the running upload service to apply the new limit',
  });
  const refused = await upload(running.app, 3 * MIB);
  t.match(refused.json(), { code: 'PAYLOAD_TOO_LARGE', message: 'Uploads are limited to 2 MiB' });
  t.equal((await upload(running.app, 1 * MIB)).statusCode, 200, 'smaller uploads still pass');
  const ready = await running.app.inject({ method: 'GET', url: '/ready' });
  t.match(ready.json(), { checks: { settings: { detail: { version: changed.body.version, source: 'stream' } } } });

  // A service that starts after the change holds it from its first request.
  const late = await startUploadService();
  t.equal(late.settings.version, changed.body.version);
  t.equal((await upload(late.app, 3 * MIB)).statusCode, 413);

  await admin.put('/api/v1/admin/config', { max_upload_size_mb: 5 });
  await waitFor(async () => (await upload(running.app, 3 * MIB)).statusCode === 200, { what: 'the raised limit' });
  await waitFor(async () => (await upload(late.app, 3 * MIB)).statusCode === 200, { what: 'every replica' });
});

t.test('the last config.updated on the stream is kept a true and complete statement', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const keeper = new SettingsSnapshotKeeper({
    db: test.deps.db.db,
    bus: test.bus,
    logger: testLogger(),
    intervalMs: 60_000,
  });
  // The relay publishes first and marks the outbox row sent after: until both, the
  // keeper rightly answers 'pending'.
  const relayed = async (version: number) =>
    (await lastPublishedSettings(test.bus))?.version === version &&
    (await test.deps.db.db
      .selectFrom('outbox')
      .select('id')
      .where('subject', '=', ConfigUpdated.type)
      .where('sent_at', 'is', null)
      .executeTakeFirst()) === undefined;
  await admin.put('/api/v1/admin/config', { session_timeout_minutes: 60 });
  const current = (await admin.get('/api/v1/admin/config')).body.version;
  await waitFor(() => relayed(current), { what: 'the relay' });
  t.equal(await keeper.checkOnce(), 'current');

  // The stream lost it (purged, or aged out): the current settings are stated again.
  await test.bus.jsm.streams.purge(test.bus.streamName(STREAMS.CONFIG));
  t.equal(await lastPublishedSettings(test.bus), undefined);
  t.equal(await keeper.checkOnce(), 'restated');
  const restated = await waitFor(() => lastPublishedSettings(test.bus));
  t.equal(restated.version, current, 'restated at the same version');
  await waitFor(() => relayed(current), { what: 'the restatement relayed' });
  const { bus } = await createTestBus(t, { prefix: test.prefix });
  const late = await SettingsSubscriber.start({ bus });
  t.teardown(() => late.stop());
  t.equal(late.system.session_timeout_minutes, 60, 'a service starting now still gets the settings');

  // The database was restored from an older backup: the version moves past the stream's.
  await publishEvent(test.bus, ConfigUpdated, {
    ...late.snapshot,
    version: current + 10,
    reason: 'snapshot',
    changed_fields: [],
  });
  await waitFor(async () => (await lastPublishedSettings(test.bus))?.version === current + 10);
  t.equal(await keeper.checkOnce(), 'restated');
  await waitFor(async () => (await lastPublishedSettings(test.bus))?.version === current + 11, {
    what: 'a snapshot newer than the stream',
  });
  t.equal((await admin.get('/api/v1/admin/config')).body.version, current + 11);
});
