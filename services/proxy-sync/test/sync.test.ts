import { ModelCreated, ModelDeleted, ModelUpdated, type ModelView } from '@lumikb/contracts';
import { startFakeLiteLLM, type Teardown, testKeys, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import {
  buildTestApp,
  capturingLogger,
  type FakeRegistry,
  type ModelOver,
  modelView,
  publish,
  recordEvents,
  startFakeRegistry,
} from './helper.ts';

const API_KEY = 'sk-provider-secret-5f3c9a1e7b';

async function world(t: Teardown, env: Record<string, string> = {}, options: Parameters<typeof buildTestApp>[2] = {}) {
  const proxy = await startFakeLiteLLM(t, { masterKey: 'sk-master-test-key' });
  const registry: FakeRegistry = await startFakeRegistry(t, testKeys().publicKey);
  const built = await buildTestApp(
    t,
    {
      LITELLM_PROXY_URL: proxy.url,
      LITELLM_MASTER_KEY: 'sk-master-test-key',
      REGISTRY_URL: registry.url,
      SERVICE_CLIENT_SECRET: 'x'.repeat(32),
      SYNC_RETRY_MIN_MS: '50',
      SYNC_RETRY_MAX_MS: '200',
      RECONCILE_INTERVAL_MS: '0',
      ...env,
    },
    options,
  );
  const events = recordEvents(t, built.bus, 'model.>');
  const audit = recordEvents(t, built.bus, 'audit.>');
  /** Stores the model in the fake registry and publishes its event. */
  const save = async (view: ModelView, def: typeof ModelCreated | typeof ModelUpdated = ModelCreated) => {
    registry.models.set(view.id, { ...view, api_key: view.has_api_key ? API_KEY : null });
    await publish(built.bus, def, def === ModelCreated ? { model: view } : { model: view, changed_fields: ['config'] });
  };
  const remove = async (view: ModelView) => {
    registry.models.delete(view.id);
    await publish(built.bus, ModelDeleted, { id: view.id, type: view.type, provider: view.provider });
  };
  return { proxy, registry, events, audit, save, remove, ...built };
}

const later = (view: ModelView, over: ModelOver): ModelView =>
  ({
    ...view,
    ...over,
    updated_at: new Date(Date.parse(view.updated_at) + 1000).toISOString(),
  }) as ModelView;

t.test(
  'model lifecycle: created → registered as db-{uuid}, updated in place, deactivated → removed, deleted',
  async (t) => {
    const w = await world(t);
    const model = modelView({ type: 'embedding', model_id: 'text-embedding-3-small', config: { dimensions: 1536 } });
    await w.save(model);

    const entry = await waitFor(() => w.proxy.byAlias(`db-${model.id}`)[0], { what: 'registration' });
    t.equal(entry.model_id, model.id, 'model_info.id is our model uuid (idempotent)');
    t.match(entry.litellm_params, { model: 'openai/text-embedding-3-small', api_key: API_KEY });
    t.match(entry.model_info, { mode: 'embedding', output_vector_size: 1536, lumikb_version: model.updated_at });
    t.ok(w.registry.calls.length > 0, 'the key came from the registry');
    t.ok(
      w.registry.calls.every((c) => c.service === 'proxy-sync'),
      'every registry call carried a valid proxy-sync service token',
    );
    const synced = await waitFor(() => w.events.find((e) => e.type === 'model.synced'), { what: 'model.synced' });
    t.match(synced.data, { id: model.id, alias: `db-${model.id}` });
    t.match(synced.actor, { type: 'service', id: 'proxy-sync' });

    // An update is applied in place: no delete, no second /model/new.
    const updated = later(model, { api_endpoint: 'https://gateway.company.local/v1' });
    await w.save(updated, ModelUpdated);
    await waitFor(() => w.proxy.deployment(model.id)?.litellm_params.api_base === 'https://gateway.company.local/v1', {
      what: 'update',
    });
    t.equal(w.proxy.requestsTo('/model/new').length, 1);
    t.equal(w.proxy.requestsTo('/model/delete').length, 0);
    t.equal(w.proxy.requestsTo(`/model/${model.id}/update`, 'PATCH').length, 1);
    t.equal(w.proxy.deployment(model.id)?.model_info.lumikb_version, updated.updated_at);

    // Deactivation removes the alias, via model_info.id looked up in /model/info.
    const inactive = later(updated, { status: 'inactive' });
    await w.save(inactive, ModelUpdated);
    await waitFor(() => w.proxy.deployment(model.id) === undefined, { what: 'removal' });
    const lookup = w.proxy.requestsTo('/model/info').at(-1);
    t.equal(lookup?.query.get('litellm_model_id'), model.id);
    t.same(w.proxy.requestsTo('/model/delete')[0]?.body, { id: model.id });

    const active = later(inactive, { status: 'active' });
    await w.save(active, ModelUpdated);
    await waitFor(() => w.proxy.deployment(model.id), { what: 're-registration' });

    await w.remove(model);
    await waitFor(() => w.proxy.deployment(model.id) === undefined, { what: 'deletion' });
    const removed = await waitFor(
      async () => {
        const status = await w.app.inject({
          method: 'GET',
          url: '/api/v1/admin/models/sync',
          headers: { authorization: `Bearer ${w.tokens.admin}` },
        });
        const row = status.json().models.find((m: { id: string }) => m.id === model.id);
        return row?.pending === false ? row : undefined;
      },
      { what: 'settled deletion' },
    );
    t.match(removed, { id: model.id, deleted: true, sync_state: 'removed', pending: false });

    // Local models never go to the proxy.
    const local = modelView({ provider: 'local', model_id: 'lumikb-extractive-v1', has_api_key: false });
    await w.save(local);
    await waitFor(async () => {
      const s = await w.app.inject({
        method: 'GET',
        url: '/api/v1/admin/models/sync',
        headers: { authorization: `Bearer ${w.tokens.admin}` },
      });
      return s.json().models.find((m: { id: string }) => m.id === local.id)?.sync_state === 'not_applicable';
    });
    t.equal(w.proxy.byAlias(`db-${local.id}`).length, 0);
  },
);

t.test('providers get their LiteLLM params; the Ollama URL for the proxy is configurable', async (t) => {
  const w = await world(t, { OLLAMA_URL_FOR_PROXY: 'http://host.docker.internal:11434' });
  const ollama = modelView({
    provider: 'ollama',
    type: 'embedding',
    model_id: 'nomic-embed-text',
    api_endpoint: 'http://localhost:11434',
    config: { dimensions: 768 },
    has_api_key: false,
  });
  const azure = modelView({
    provider: 'azure',
    model_id: 'my-gpt4o',
    api_endpoint: 'https://res.openai.azure.com',
    config: { api_version: '2024-10-21' },
  });
  const gemini = modelView({ provider: 'google', model_id: 'models/gemini-2.0-flash' });
  for (const m of [ollama, azure, gemini]) await w.save(m);
  await waitFor(() => [ollama, azure, gemini].every((m) => w.proxy.deployment(m.id)), { what: 'three registrations' });
  t.same(w.proxy.deployment(ollama.id)?.litellm_params, {
    model: 'ollama/nomic-embed-text',
    api_base: 'http://host.docker.internal:11434',
  });
  t.same(w.proxy.deployment(azure.id)?.litellm_params, {
    model: 'azure/my-gpt4o',
    api_base: 'https://res.openai.azure.com',
    api_version: '2024-10-21',
    api_key: API_KEY,
  });
  t.same(w.proxy.deployment(gemini.id)?.litellm_params, { model: 'gemini/gemini-2.0-flash', api_key: API_KEY });
});

t.test('proxy outage: retries with backoff, /ready degraded, sync_failed published, no change lost', async (t) => {
  const w = await world(t);
  await w.proxy.setOutage('refuse');
  const model = modelView();
  await w.save(model);

  const failed = await waitFor(() => w.events.find((e) => e.type === 'model.sync_failed'), { what: 'sync_failed' });
  t.match(failed.data, { id: model.id, alias: `db-${model.id}`, attempts: 1, error: /Connection refused/ });
  const ready = await w.app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200, 'still ready: the proxy is not critical');
  t.match(ready.json(), {
    status: 'degraded',
    checks: { litellm: { status: 'down', critical: false, error: /unreachable.*1 model change\(s\) waiting/ } },
  });

  // A second change while the proxy is down: the latest one wins when it is back.
  const changed = later(model, { model_id: 'gpt-4.1-mini' });
  await w.save(changed, ModelUpdated);
  await waitFor(
    async () => {
      const s = await w.app.inject({
        method: 'GET',
        url: '/api/v1/admin/models/sync',
        headers: { authorization: `Bearer ${w.tokens.admin}` },
      });
      return s.json().models[0]?.attempts >= 2;
    },
    { what: 'retries' },
  );

  await w.proxy.setOutage(null);
  const entry = await waitFor(() => w.proxy.deployment(model.id), {
    what: 'registration after the outage',
    timeoutMs: 5_000,
  });
  t.equal(entry.litellm_params.model, 'openai/gpt-4.1-mini');
  await waitFor(() => w.events.find((e) => e.type === 'model.synced'), { what: 'model.synced' });
  const back = await w.app.inject({ method: 'GET', url: '/ready' });
  t.match(back.json(), { status: 'ready', checks: { litellm: { status: 'up', detail: { pending: 0 } } } });
});

t.test('a model the registry no longer has is removed, even if its deletion event was missed', async (t) => {
  const w = await world(t);
  const model = modelView();
  await w.save(model);
  await waitFor(() => w.proxy.deployment(model.id));
  w.registry.models.delete(model.id);
  await publish(w.bus, ModelUpdated, { model: later(model, { name: 'renamed' }), changed_fields: ['name'] });
  await waitFor(() => w.proxy.deployment(model.id) === undefined, { what: 'removal' });
  t.same(w.proxy.requestsTo('/model/delete').at(-1)?.body, { id: model.id }, 'removed through /model/delete');
  t.ok(
    w.registry.calls.some((c) => c.path === `/internal/models/${model.id}/credentials`),
    'the registry was asked first',
  );
});

t.test('restart: reconcile adds missing, updates changed, removes orphans, leaves healthy aliases alone', async (t) => {
  const first = await world(t);
  const healthy = modelView({ model_id: 'healthy' });
  const changed = modelView({ model_id: 'changed-before' });
  await first.save(healthy);
  await first.save(changed);
  await waitFor(() => first.proxy.deployment(healthy.id) && first.proxy.deployment(changed.id));
  const healthyCreatedAt = first.proxy.deployment(healthy.id)?.created_at;
  await first.app.close();

  // While proxy-sync was down: a new model, a change, a model deleted from the registry,
  // a stray alias nobody owns, and a hand-made proxy model that is not ours.
  const missing = modelView({ model_id: 'missing' });
  first.registry.models.set(missing.id, { ...missing, api_key: API_KEY });
  const after = later(changed, { model_id: 'changed-after' });
  first.registry.models.set(changed.id, { ...after, api_key: API_KEY });
  const orphanId = '7d1a4b2c-0000-4000-8000-000000000001';
  const headers = { authorization: `Bearer ${first.proxy.masterKey}`, 'content-type': 'application/json' };
  for (const body of [
    { model_name: `db-${orphanId}`, litellm_params: { model: 'openai/old' }, model_info: { id: orphanId } },
    { model_name: 'team-gpt', litellm_params: { model: 'openai/gpt-4o' }, model_info: { id: 'hand-made' } },
  ]) {
    await fetch(`${first.proxy.url}/model/new`, { method: 'POST', headers, body: JSON.stringify(body) });
  }
  const before = first.proxy.requests.length;

  const second = await buildTestApp(t, { ...restartEnv(first) }, { platform: first.platform });
  await waitFor(() => first.proxy.deployment(missing.id) && first.proxy.deployment(orphanId) === undefined, {
    what: 'startup reconcile',
  });
  await waitFor(() => first.proxy.deployment(changed.id)?.litellm_params.model === 'openai/changed-after');
  const calls = first.proxy.requests.slice(before);
  t.equal(first.proxy.deployment(healthy.id)?.created_at, healthyCreatedAt, 'the healthy alias was not re-created');
  t.notOk(
    calls.some((c) => JSON.stringify(c.body ?? '').includes(healthy.id) || c.path.includes(healthy.id)),
    'nothing was sent about the healthy alias',
  );
  t.ok(first.proxy.deployment('hand-made'), 'aliases that are not db-* are never touched');
  const status = await second.app.inject({
    method: 'GET',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${second.tokens.admin}` },
  });
  t.match(status.json().last_reconcile, {
    trigger: 'startup',
    registry: 'listed',
    added: [`db-${missing.id}`],
    updated: [`db-${changed.id}`],
    removed: [`db-${orphanId}`],
    unchanged: [`db-${healthy.id}`],
    failed: [],
  });
});

function restartEnv(w: Awaited<ReturnType<typeof world>>): Record<string, string> {
  return {
    LITELLM_PROXY_URL: w.proxy.url,
    LITELLM_MASTER_KEY: 'sk-master-test-key',
    REGISTRY_URL: w.registry.url,
    SERVICE_CLIENT_SECRET: 'x'.repeat(32),
    SYNC_RETRY_MIN_MS: '50',
    SYNC_RETRY_MAX_MS: '200',
    RECONCILE_INTERVAL_MS: '0',
  };
}

t.test('without the registry list, reconcile never removes an alias it cannot vouch for', async (t) => {
  const w = await world(t);
  const stranger = '7d1a4b2c-0000-4000-8000-000000000002';
  await fetch(`${w.proxy.url}/model/new`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.proxy.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: `db-${stranger}`,
      litellm_params: { model: 'openai/x' },
      model_info: { id: stranger },
    }),
  });
  w.registry.failing = 503;
  const res = await w.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
  });
  t.equal(res.statusCode, 200);
  t.match(res.json(), {
    registry: 'unavailable',
    removed: [],
    kept: [{ alias: `db-${stranger}`, reason: /left in place/ }],
  });
  t.ok(w.proxy.deployment(stranger));

  w.registry.failing = undefined;
  const again = await w.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
  });
  t.match(again.json(), { registry: 'listed', removed: [`db-${stranger}`] });
  t.notOk(w.proxy.deployment(stranger));
  const audit = await waitFor(() =>
    w.audit.find(
      (e) =>
        (e.data as { action?: string; new_value?: { removed?: number } }).action === 'proxy_sync.reconcile' &&
        (e.data as { new_value?: { removed?: number } }).new_value?.removed === 1,
    ),
  );
  t.match(audit.data, { resource_type: 'llm_proxy', service: 'proxy-sync', new_value: { removed: 1 } });
  t.match(audit.actor, { type: 'user' });
});

t.test('POST /api/v1/admin/models/sync: 503 when the proxy is down, 409 when none is configured', async (t) => {
  const w = await world(t);
  await w.proxy.setOutage('refuse');
  const down = await w.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
  });
  t.equal(down.statusCode, 503);
  t.match(down.json(), { code: 'PROXY_UNREACHABLE', message: /Connection refused/ });

  const idle = await buildTestApp(t);
  const res = await idle.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${idle.tokens.admin}` },
  });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { code: 'PROXY_NOT_CONFIGURED', message: /LITELLM_PROXY_URL/ });
  const user = await idle.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${idle.tokens.operator}` },
  });
  t.equal(user.statusCode, 403);
});

t.test('without LITELLM_PROXY_URL the service idles and says so; changes are still recorded', async (t) => {
  const { logger, lines } = capturingLogger();
  const idle = await buildTestApp(t, {}, { logger });
  t.ok(
    lines.some((l) => l.includes('LITELLM_PROXY_URL is not set: proxy-sync is idle')),
    'the log says it idles',
  );
  const ready = await idle.app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.match(ready.json(), {
    status: 'ready',
    checks: { litellm: { status: 'up', detail: { idle: true, message: /LITELLM_PROXY_URL is not set/ } } },
  });
  const model = modelView();
  await publish(idle.bus, ModelCreated, { model });
  await waitFor(async () => {
    const s = await idle.app.inject({
      method: 'GET',
      url: '/api/v1/admin/models/sync',
      headers: { authorization: `Bearer ${idle.tokens.admin}` },
    });
    return s.json().models.some((m: { id: string; pending: boolean }) => m.id === model.id && m.pending);
  });
});

t.test('no secret in any log line, event or response during syncs, failures included', async (t) => {
  const { logger, lines } = capturingLogger();
  const w = await world(t, {}, { logger });
  const audit = w.audit;
  const model = modelView();
  // The proxy's error echoes the key it was given: it must not travel further.
  w.proxy.failWith({
    status: 500,
    path: '/model/new',
    times: 1,
    body: {
      error: {
        message: `litellm.APIError: bad api_key=${API_KEY} Bearer sk-master-test-key`,
        type: 'None',
        param: 'None',
        code: '500',
      },
    },
  });
  await w.save(model);
  await waitFor(() => w.events.find((e) => e.type === 'model.sync_failed'));
  await waitFor(() => w.proxy.deployment(model.id), { what: 'registration on retry' });
  await waitFor(() => w.events.find((e) => e.type === 'model.synced'));
  const report = await w.app.inject({
    method: 'POST',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
  });
  const status = await w.app.inject({
    method: 'GET',
    url: '/api/v1/admin/models/sync',
    headers: { authorization: `Bearer ${w.tokens.admin}` },
  });
  await waitFor(() => audit.length > 0);

  const failure = w.events.find((e) => e.type === 'model.sync_failed');
  t.match(failure?.data, { error: /\[redacted\]/ }, 'the message survives, the key does not');
  t.ok(lines.length > 5, `captured ${lines.length} log lines`);
  for (const secret of [API_KEY, 'sk-master-test-key', 'x'.repeat(32)]) {
    t.notOk(
      lines.some((l) => l.includes(secret)),
      `no log line contains ${secret.slice(0, 6)}…`,
    );
    t.notOk(JSON.stringify(w.events).includes(secret), 'no model.* event contains it');
    t.notOk(JSON.stringify(audit).includes(secret), 'no audit event contains it');
    t.notOk(report.body.includes(secret) || status.body.includes(secret), 'no response contains it');
  }
});

t.test('an event applied twice, or an older one arriving late, changes nothing', async (t) => {
  const w = await world(t);
  const model = modelView({ model_id: 'v1' });
  await w.save(model);
  await waitFor(() => w.proxy.deployment(model.id));
  const newer = later(model, { model_id: 'v2' });
  await w.save(newer, ModelUpdated);
  await waitFor(() => w.proxy.deployment(model.id)?.litellm_params.model === 'openai/v2');
  // The older update is redelivered late (registry state is already v2 as well).
  await publish(w.bus, ModelUpdated, { model: model, changed_fields: ['model_id'] }, model.updated_at);
  await publish(w.bus, ModelCreated, { model: later(newer, { model_id: 'v3' }) }, new Date(0).toISOString());
  const sentinel = modelView();
  await w.save(sentinel);
  await waitFor(() => w.proxy.deployment(sentinel.id), { what: 'later events processed' });
  t.equal(w.proxy.deployment(model.id)?.litellm_params.model, 'openai/v2');
  t.equal(w.proxy.requestsTo('/model/delete').length, 0);
});

t.test('shutdown does not wait for a hanging proxy, and the change stays pending for the next start', async (t) => {
  const w = await world(t, { LITELLM_TIMEOUT_MS: '30000' });
  await w.proxy.setOutage('hang');
  const model = modelView();
  await w.save(model);
  await waitFor(() => w.proxy.requestsTo('/model/info').length > 0, { what: 'a call in flight' });
  const started = Date.now();
  await w.app.close();
  t.ok(Date.now() - started < 3_000, `closed in ${Date.now() - started} ms`);
  await w.proxy.setOutage(null);
  t.notOk(
    w.events.some((e) => e.type === 'model.sync_failed'),
    'a cancelled call is not reported as a failure',
  );

  await buildTestApp(t, restartEnv(w), { platform: w.platform });
  const entry = await waitFor(() => w.proxy.deployment(model.id), { what: 'registration after the restart' });
  t.equal(entry.model_name, `db-${model.id}`, 'the restarted service synced it');
});
