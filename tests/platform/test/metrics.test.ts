/**
 * Every service's GET /metrics, scraped from the running app: each metric of the
 * catalogue the dashboards and alert rules query (tools/ci/src/metrics-catalogue.ts)
 * is exported with the catalogue's type and labels (plus `service`), and its value moves
 * when the thing it counts happens. Every `lumikb_*` metric a service exports is in the
 * catalogue, so a dashboard may chart it; every catalogued metric is exported somewhere.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ADMIN_EMAIL, ADMIN_PASSWORD, buildTestApp as buildAuth, createUser, login } from '@lumikb/auth/testing';
import { METRICS, type MetricSpec } from '@lumikb/ci-tools/src/metrics-catalogue.ts';
import { ModelCreated } from '@lumikb/contracts';
import type { EventBus } from '@lumikb/events';
import { buildTestApp as buildGateway } from '@lumikb/gateway/testing';
import { buildTestApp as buildWorker, WORKER_SCHEMA, WORKER_STREAMS } from '@lumikb/ingestion-worker/testing';
import {
  auth as bearer,
  buildTestApp as buildKb,
  createKbPlatform,
  modelView,
  multipart,
  publishEvent,
  registerModel,
  seedDefaultModels,
} from '@lumikb/knowledge-base/testing';
import {
  buildTestApp as buildProxySync,
  modelView as proxyModelView,
  publish,
  startFakeRegistry,
} from '@lumikb/proxy-sync/testing';
import { buildTestApp as buildRegistry } from '@lumikb/registry/testing';
import type { ServiceApp } from '@lumikb/service-kit';
import { startFakeLiteLLM, startFakeOllama, testKeys, waitFor } from '@lumikb/test-kit';
import t, { type Test } from 'tap';
import { type Exposition, parseExposition, sampleSum } from '../src/prometheus.ts';

type Service = 'gateway' | 'auth' | 'registry' | 'knowledge-base' | 'ingestion-worker' | 'proxy-sync';

// ---------------------------------------------------------------------------------------
// What each service is expected to export.

/** The service kit's HTTP and pool metrics plus the prom-client defaults the dashboards chart. */
const KIT = [
  'lumikb_api_request_latency_seconds',
  'lumikb_api_error_total',
  'lumikb_db_connections_active',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
];
/** Every service with a schema runs the outbox relay. */
const OUTBOX = ['lumikb_outbox_backlog', 'lumikb_outbox_published_total', 'lumikb_outbox_publish_failures_total'];
/** Services with JetStream event consumers. */
const CONSUMERS = [
  'lumikb_event_handled_total',
  'lumikb_event_handler_failures_total',
  'lumikb_event_terminated_total',
];
/** Where the LLM router runs. */
const MODELS = ['lumikb_model_request_total', 'lumikb_model_latency_seconds', 'lumikb_model_fallback_total'];

const EXPECTED: Record<Service, string[]> = {
  gateway: KIT,
  auth: [...KIT, ...OUTBOX, ...CONSUMERS],
  registry: [...KIT, ...OUTBOX, ...CONSUMERS],
  'knowledge-base': [
    ...KIT,
    ...OUTBOX,
    ...CONSUMERS,
    ...MODELS,
    'lumikb_collection_create_seconds',
    'lumikb_search_latency_seconds',
    'lumikb_search_rerank_total',
    'lumikb_document_uploads_total',
    'lumikb_chat_answers_total',
    'lumikb_conversations_created_total',
    'lumikb_conversation_answers_total',
    'lumikb_answer_duration_seconds',
    'lumikb_answer_first_token_seconds',
  ],
  'ingestion-worker': [
    ...KIT,
    ...OUTBOX,
    // Its job consumer counts terminated (poison) messages like every event consumer.
    ...CONSUMERS,
    ...MODELS,
    'lumikb_queue_depth',
    'lumikb_documents_processed_total',
    'lumikb_documents_failed_total',
    'lumikb_ingestion_documents_total',
    'lumikb_ingestion_chunks_total',
    'lumikb_ingestion_step_seconds',
    'lumikb_ingestion_in_flight',
  ],
  'proxy-sync': [
    ...KIT,
    ...OUTBOX,
    ...CONSUMERS,
    'lumikb_proxy_sync_state',
    'lumikb_proxy_sync_failures_total',
    'lumikb_proxy_sync_operations_total',
    'lumikb_proxy_sync_pending_models',
  ],
};

/** Metric names each service exported, filled as the tests run (for the coverage check at the end). */
const exported = new Map<Service, Set<string>>();
/** Labelled metrics whose labels were checked on at least one sample. */
const labelsSeen = new Set<string>();
/**
 * Labelled metrics no test here makes a sample of (a consumer's handler has to throw), so
 * only their declaration and type are checked. Keep this list short.
 */
const NEVER_SAMPLED = ['lumikb_event_handler_failures_total'];

// ---------------------------------------------------------------------------------------
// Scraping and checking.

async function scrape(app: ServiceApp): Promise<Exposition> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}`);
  if (!/^text\/plain; version=0\.0\.4/.test(String(res.headers['content-type']))) {
    throw new Error(`GET /metrics has content-type ${res.headers['content-type']}`);
  }
  return parseExposition(res.body);
}

/** A series' current value (summed over the matching label sets), 0 when no sample matches yet. */
async function current(app: ServiceApp, series: string, where: Record<string, string> = {}): Promise<number> {
  return sampleSum(await scrape(app), series, where) ?? 0;
}

/** Waits until `series{where}` reaches at least `atLeast`, and returns its value. */
function waitForValue(
  app: ServiceApp,
  series: string,
  where: Record<string, string>,
  atLeast: number,
  timeoutMs = 10_000,
): Promise<number> {
  return waitFor(
    async () => {
      const v = await current(app, series, where);
      return v >= atLeast ? v : false;
    },
    { timeoutMs, what: `${series}${JSON.stringify(where)} >= ${atLeast}` },
  );
}

const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/**
 * The exposition of `service` against the catalogue: each expected metric is there with
 * the catalogue's type and exactly its labels plus `service`; every `lumikb_*` metric is
 * catalogued and expected.
 */
function checkExposition(t: Test, service: Service, exposition: Exposition): void {
  const names = new Set([...exposition.keys()]);
  exported.set(service, new Set([...(exported.get(service) ?? []), ...names]));

  for (const name of EXPECTED[service]) {
    const spec = METRICS[name] as MetricSpec | undefined;
    if (!spec) {
      t.fail(`${name} is expected from ${service} but missing from the catalogue`);
      continue;
    }
    const family = exposition.get(name);
    if (!family) {
      t.fail(`${service} does not export ${name}`);
      continue;
    }
    t.equal(family.type, spec.type, `${service}: ${name} is a ${spec.type}`);
    const wanted = ['service', ...spec.labels];
    const wrong = family.samples.filter((s) => {
      const keys = Object.keys(s.labels).filter((k) => !(k === 'le' && s.name === `${name}_bucket`));
      return (
        !sameSet(keys, wanted) || s.labels.service !== service || (!Number.isFinite(s.value) && s.labels.le !== '+Inf')
      );
    });
    t.same(
      wrong.map((s) => `${s.name}{${Object.keys(s.labels).join(',')}}`),
      [],
      `${service}: every ${name} sample carries exactly {${wanted.join(', ')}} with service="${service}"`,
    );
    if (family.samples.length > 0) labelsSeen.add(name);
    if (spec.labels.length === 0 && spec.type !== 'histogram') {
      t.equal(family.samples.length, 1, `${service}: ${name} is one series`);
      t.ok(Number.isFinite(family.samples[0]?.value), `${service}: ${name} is a number`);
    }
    if (spec.type === 'histogram' && family.samples.length > 0) {
      for (const suffix of ['_bucket', '_sum', '_count']) {
        t.ok(
          family.samples.some((s) => s.name === name + suffix),
          `${service}: ${name} has ${suffix} series`,
        );
      }
      t.ok(
        family.samples.filter((s) => s.name === `${name}_bucket`).every((s) => s.labels.le !== undefined),
        `${service}: every ${name}_bucket has le`,
      );
    }
  }

  const lumikb = [...names].filter((n) => n.startsWith('lumikb_'));
  const unknown = lumikb.filter((n) => !(n in METRICS));
  t.same(
    unknown,
    [],
    `${service}: every lumikb_* metric it exports is in the catalogue (unknown: ${unknown.join(', ') || 'none'})`,
  );
  const unexpected = lumikb.filter((n) => n in METRICS && !EXPECTED[service].includes(n));
  t.same(
    unexpected,
    [],
    `${service}: exports nothing beyond its expected table (extra: ${unexpected.join(', ') || 'none'})`,
  );
}

/** An HTTP request on a route: its latency count moves by one, and its error count when it is >= 400. */
async function checkRequestMetrics(
  t: Test,
  app: ServiceApp,
  request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object },
  expected: { status: number; route: string; histogram?: boolean },
): Promise<void> {
  const latency = { method: request.method, route: expected.route, status: String(expected.status) };
  const errors = { route: expected.route, status_class: `${Math.floor(expected.status / 100)}xx` };
  const before = await scrape(app);
  const res = await app.inject(request);
  t.equal(res.statusCode, expected.status, `${request.method} ${request.url} answers ${expected.status}`);
  const after = await scrape(app);
  const delta = (series: string, where: Record<string, string>) =>
    (sampleSum(after, series, where) ?? 0) - (sampleSum(before, series, where) ?? 0);
  if (expected.histogram !== false) {
    t.equal(
      delta('lumikb_api_request_latency_seconds_count', latency),
      1,
      `latency count +1 for ${JSON.stringify(latency)}`,
    );
    t.ok(delta('lumikb_api_request_latency_seconds_sum', latency) > 0, 'latency sum grows');
    t.equal(
      delta('lumikb_api_request_latency_seconds_bucket', { ...latency, le: '+Inf' }),
      1,
      'the +Inf bucket counts it',
    );
  }
  if (expected.status >= 400) {
    t.equal(delta('lumikb_api_error_total', errors), 1, `error total +1 for ${JSON.stringify(errors)}`);
  } else {
    t.equal(delta('lumikb_api_error_total', {}), 0, 'a success is no error');
  }
}

/** Connections held out of the pool show in lumikb_db_connections_active, and leave it when released. */
async function checkDbConnections(
  t: Test,
  app: ServiceApp,
  pool: { connect(): Promise<{ release(): void }> },
): Promise<void> {
  const baseline = await current(app, 'lumikb_db_connections_active');
  const hold = baseline + 2;
  const clients = await Promise.all(Array.from({ length: hold }, () => pool.connect()));
  try {
    const during = await current(app, 'lumikb_db_connections_active');
    t.ok(during >= hold, `lumikb_db_connections_active counts the ${hold} connections held (${during})`);
  } finally {
    for (const c of clients) c.release();
  }
  await waitFor(async () => (await current(app, 'lumikb_db_connections_active')) < hold, {
    what: 'connections released',
  });
  t.pass('released connections leave the gauge');
}

/**
 * The outbox relay's metrics: an event it cannot publish (a subject no stream takes)
 * counts a publish failure and stays in the backlog; once it is gone the backlog drains.
 */
async function checkOutboxFailure(
  t: Test,
  app: ServiceApp,
  database: { pool: { query(sql: string, values?: unknown[]): Promise<unknown> }; schema: string },
): Promise<void> {
  await waitFor(async () => (await current(app, 'lumikb_outbox_backlog')) === 0, { what: 'an empty outbox' });
  const failures = await current(app, 'lumikb_outbox_publish_failures_total');
  const id = randomUUID();
  const outbox = `"${database.schema}".outbox`;
  await database.pool.query(`insert into ${outbox} (id, subject, payload) values ($1, $2, $3)`, [
    id,
    'metricstest.nowhere',
    JSON.stringify({ id, type: 'metricstest.nowhere' }),
  ]);
  try {
    await waitForValue(app, 'lumikb_outbox_publish_failures_total', {}, failures + 1);
    t.pass('a failed publish counts in lumikb_outbox_publish_failures_total');
    t.ok((await current(app, 'lumikb_outbox_backlog')) >= 1, 'the unpublished event shows in lumikb_outbox_backlog');
  } finally {
    await database.pool.query(`delete from ${outbox} where id = $1`, [id]);
  }
  await waitFor(async () => (await current(app, 'lumikb_outbox_backlog')) === 0, { what: 'the backlog drained' });
  t.pass('the backlog returns to 0');
}

/** An event of a type `consumer` takes that fails its contract is terminated as invalid, and counted. */
async function checkInvalidEvent(t: Test, app: ServiceApp, bus: EventBus, consumer: string, type: string) {
  const where = { consumer, type, reason: 'invalid' };
  const before = await current(app, 'lumikb_event_terminated_total', where);
  await publishEvent(bus, type, { not: 'what the contract says' });
  await waitForValue(app, 'lumikb_event_terminated_total', where, before + 1);
  t.pass(`an invalid ${type} counts in lumikb_event_terminated_total${JSON.stringify(where)}`);
}

// ---------------------------------------------------------------------------------------
// One test per service.

t.test('gateway', async (t) => {
  const { app } = await buildGateway(t);
  checkExposition(t, 'gateway', await scrape(app));
  await checkRequestMetrics(
    t,
    app,
    { method: 'GET', url: '/api/v1/auth/me' },
    { status: 200, route: '/api/v1/auth/*' },
  );
  await checkRequestMetrics(t, app, { method: 'GET', url: '/api/v1/nowhere' }, { status: 404, route: '__unknown__' });
  t.equal(await current(app, 'lumikb_db_connections_active'), 0, 'the gateway holds no database connections');
  checkExposition(t, 'gateway', await scrape(app));
});

t.test('auth', async (t) => {
  const built = await buildAuth(t);
  const { app, deps } = built;
  checkExposition(t, 'auth', await scrape(app));
  await checkRequestMetrics(t, app, { method: 'GET', url: '/health' }, { status: 200, route: '/health' });
  await checkRequestMetrics(
    t,
    app,
    { method: 'POST', url: '/api/v1/auth/login', payload: {} },
    { status: 400, route: '/api/v1/auth/login' },
  );

  // Creating a user writes user.created and audit.recorded; auth's audit trail consumes the latter.
  await waitFor(async () => (await current(app, 'lumikb_outbox_backlog')) === 0, { what: 'start-up events out' });
  const published = await current(app, 'lumikb_outbox_published_total');
  const handled = { consumer: 'auth-audit-trail', type: 'audit.recorded' };
  const handledBefore = await current(app, 'lumikb_event_handled_total', handled);
  const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  await createUser(app, admin.access_token, { email: `metrics-${randomUUID().slice(0, 8)}@company.local` });
  await waitForValue(app, 'lumikb_outbox_published_total', {}, published + 2);
  t.pass('the user.created and audit.recorded events count in lumikb_outbox_published_total');
  await waitForValue(app, 'lumikb_event_handled_total', handled, handledBefore + 1);
  t.pass('the audit trail consumer counts what it handled');

  await checkInvalidEvent(t, app, built.bus, 'auth-audit-trail', 'audit.recorded');
  await checkDbConnections(t, app, deps.db.pool);
  await checkOutboxFailure(t, app, deps.db);
  checkExposition(t, 'auth', await scrape(app));
});

t.test('registry', async (t) => {
  const built = await buildRegistry(t);
  const { app, deps, tokens } = built;
  checkExposition(t, 'registry', await scrape(app));
  await checkRequestMetrics(
    t,
    app,
    { method: 'GET', url: `/api/v1/admin/models/${randomUUID()}`, headers: bearer(tokens.admin) },
    { status: 404, route: '/api/v1/admin/models/:id' },
  );

  await waitFor(async () => (await current(app, 'lumikb_outbox_backlog')) === 0, { what: 'start-up events out' });
  const published = await current(app, 'lumikb_outbox_published_total');
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/admin/models',
    headers: bearer(tokens.admin),
    payload: {
      type: 'embedding',
      provider: 'ollama',
      name: `Nomic ${randomUUID().slice(0, 6)}`,
      model_id: 'nomic-embed-text',
      api_endpoint: 'http://127.0.0.1:11434',
      config: { dimensions: 768, max_tokens: 8192 },
    },
  });
  t.equal(created.statusCode, 201, 'a model is registered');
  await waitForValue(app, 'lumikb_outbox_published_total', {}, published + 1);
  t.pass('model.created counts in lumikb_outbox_published_total');

  // proxy-sync reports the model synced: the registry's sync-state consumer handles it.
  const handled = { consumer: 'registry-sync-state', type: 'model.synced' };
  const before = await current(app, 'lumikb_event_handled_total', handled);
  const model = created.json() as { id: string };
  await publishEvent(built.bus, 'model.synced', {
    id: model.id,
    alias: `db-${model.id}`,
    synced_at: new Date().toISOString(),
  });
  await waitForValue(app, 'lumikb_event_handled_total', handled, before + 1);
  t.pass('model.synced counts in lumikb_event_handled_total');

  await checkInvalidEvent(t, app, built.bus, 'registry-sync-state', 'model.synced');
  await checkDbConnections(t, app, deps.db.pool);
  await checkOutboxFailure(t, app, deps.db);
  checkExposition(t, 'registry', await scrape(app));
});

t.test('knowledge-base', async (t) => {
  const built = await buildKb(t);
  const { app, deps, tokens } = built;
  checkExposition(t, 'knowledge-base', await scrape(app));
  await checkRequestMetrics(
    t,
    app,
    { method: 'GET', url: `/api/v1/knowledge-bases/${randomUUID()}`, headers: bearer(tokens.operator) },
    { status: 404, route: '/api/v1/knowledge-bases/:id' },
  );

  // The registry's model.created events feed the model projection.
  const handled = { consumer: 'knowledge-base-models', type: 'model.created' };
  const handledBefore = await current(app, 'lumikb_event_handled_total', handled);
  await seedDefaultModels(built);
  await waitForValue(app, 'lumikb_event_handled_total', handled, handledBefore + 2);
  t.pass('the model projection counts the events it handled');

  const published = await current(app, 'lumikb_outbox_published_total');
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: bearer(tokens.operator),
    payload: { name: 'Metrics' },
  });
  t.equal(created.statusCode, 201, 'a knowledge base is created');
  await waitForValue(app, 'lumikb_outbox_published_total', {}, published + 1);
  t.pass('kb.created counts in lumikb_outbox_published_total');

  // A search embeds the query with the local embedding model through the LLM router.
  const embedded = { provider: 'local', type: 'embedding', outcome: 'success' };
  const requests = await current(app, 'lumikb_model_request_total', embedded);
  const latency = await current(app, 'lumikb_model_latency_seconds_count', { provider: 'local', type: 'embedding' });
  const kb = created.json() as { id: string };
  const search = await app.inject({
    method: 'POST',
    url: '/api/v1/search',
    headers: bearer(tokens.operator),
    payload: { query: 'what do the metrics say', kb_ids: [kb.id], top_k: 3 },
  });
  t.equal(search.statusCode, 200, 'search answers');
  t.equal(await current(app, 'lumikb_model_request_total', embedded), requests + 1, 'model request total +1');
  t.equal(
    await current(app, 'lumikb_model_latency_seconds_count', { provider: 'local', type: 'embedding' }),
    latency + 1,
    'model latency count +1',
  );

  // A KB whose rerank model is gone: search answers unreranked and the rerank counter says why.
  const reranker = await registerModel(
    built,
    modelView({ type: 'rerank', provider: 'cohere', name: 'Metrics rerank', model_id: 'rerank-v3.5', config: {} }),
  );
  const reranked = await app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: bearer(tokens.operator),
    payload: { name: 'Metrics rerank', config_overrides: { rerank: { model_id: reranker.id } } },
  });
  t.equal(reranked.statusCode, 201, 'a KB with a rerank model');
  await publishEvent(built.bus, 'model.deleted', { id: reranker.id, type: 'rerank', provider: 'cohere' });
  const gone = { outcome: 'model_unavailable' };
  await waitFor(
    async () => {
      const before = await current(app, 'lumikb_search_rerank_total', gone);
      await app.inject({
        method: 'POST',
        url: '/api/v1/search',
        headers: bearer(tokens.operator),
        payload: { query: 'pumps', kb_ids: [(reranked.json() as { id: string }).id] },
      });
      return (await current(app, 'lumikb_search_rerank_total', gone)) === before + 1;
    },
    { what: 'a search on the KB whose rerank model was deleted counted' },
  );
  t.pass('lumikb_search_rerank_total counts a rerank that could not run');

  // Uploads are counted by outcome: an empty file is refused (400), a text file accepted.
  const uploadFile = (name: string, content: string) => {
    const body = multipart(name, content);
    return app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kb.id}/documents`,
      headers: { ...bearer(tokens.operator), ...body.headers },
      payload: body.payload,
    });
  };
  await checkRequestMetrics(
    t,
    app,
    { method: 'POST', url: `/api/v1/knowledge-bases/${kb.id}/documents`, headers: bearer(tokens.operator) },
    { status: 400, route: '/api/v1/knowledge-bases/:id/documents' },
  );
  const empty = await current(app, 'lumikb_document_uploads_total', { outcome: 'empty' });
  t.equal((await uploadFile('empty.txt', '')).statusCode, 400, 'an empty file is refused');
  t.equal(await current(app, 'lumikb_document_uploads_total', { outcome: 'empty' }), empty + 1, 'uploads{empty} +1');
  const uploads = await current(app, 'lumikb_document_uploads_total');
  t.equal((await uploadFile('notes.txt', 'Some notes.')).statusCode, 201, 'a text file is accepted');
  t.equal(await current(app, 'lumikb_document_uploads_total'), uploads + 1, 'uploads +1 for the accepted file');

  // Chat with a generation model whose server refuses connections: the router falls back
  // to the default (local) model, and each step is counted.
  const ollama = await startFakeOllama(t);
  await ollama.setOutage('refuse');
  const remote = await registerModel(
    built,
    modelView({
      type: 'generation',
      provider: 'ollama' as never,
      name: 'Llama on Ollama',
      model_id: 'llama3.2',
      api_endpoint: ollama.url,
      config: { context_window: 8192, max_output_tokens: 256 },
    }),
  );
  const remoteKb = await app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: bearer(tokens.operator),
    payload: { name: 'Remote answers', generation_model_id: remote.id },
  });
  t.equal(remoteKb.statusCode, 201);
  const fallbackWhere = { model: 'llama3.2', fallback_model: 'lumikb-extractive-v1' };
  const before = await scrape(app);
  const chat = await app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: bearer(tokens.operator),
    payload: { kb_id: (remoteKb.json() as { id: string }).id, message: 'Which way does the valve open?' },
  });
  t.equal(chat.statusCode, 200, 'the chat answers');
  t.match(chat.body, /fallback_used":true/, 'with the fallback model');
  const after = await scrape(app);
  const delta = (series: string, where: Record<string, string>) =>
    (sampleSum(after, series, where) ?? 0) - (sampleSum(before, series, where) ?? 0);
  t.equal(delta('lumikb_model_fallback_total', fallbackWhere), 1, 'model fallback total +1');
  t.equal(delta('lumikb_chat_answers_total', { fallback: 'true' }), 1, 'chat answers{fallback="true"} +1');
  const ollamaCalls = { provider: 'ollama', type: 'generation' };
  t.ok(delta('lumikb_model_request_total', ollamaCalls) >= 1, 'the failed Ollama call is counted');
  t.equal(delta('lumikb_model_request_total', { ...ollamaCalls, outcome: 'success' }), 0, 'and not as a success');
  t.equal(
    delta('lumikb_model_request_total', { provider: 'local', type: 'generation', outcome: 'success' }),
    1,
    'the local answer is one successful generation request',
  );
  t.equal(
    delta('lumikb_model_latency_seconds_count', { provider: 'local', type: 'generation' }),
    1,
    'and one generation latency observation',
  );

  await checkInvalidEvent(t, app, built.bus, 'knowledge-base-models', 'model.created');
  await checkDbConnections(t, app, deps.db.pool);
  await checkOutboxFailure(t, app, deps.db);
  checkExposition(t, 'knowledge-base', await scrape(app));
});

t.test('ingestion-worker', async (t) => {
  // The knowledge-base service and the worker on one database and bus, the KB on a real port.
  const platform = await createKbPlatform(t, { extraSchemas: [WORKER_SCHEMA], extraStreams: WORKER_STREAMS });
  const kb = await buildKb(t, {}, { platform });
  await kb.app.listen({ port: 0, host: '127.0.0.1' });
  const kbUrl = `http://127.0.0.1:${(kb.app.server.address() as AddressInfo).port}`;
  await seedDefaultModels(kb);

  // The first document waits at its parse step until released, so the queue is seen non-empty.
  let hold: (() => void) | undefined;
  const held = new Promise<void>((resolve) => {
    hold = resolve;
  });
  let gated = false;
  const worker = await buildWorker(
    t,
    { KB_URL: kbUrl, JOB_ACK_WAIT_MS: '5000', JOB_BACKOFF_MS: '100,200,400', PROGRESS_INTERVAL_MS: '50' },
    {
      platform,
      hooks: {
        async beforeStep(step) {
          if (step === 'parse' && !gated) {
            gated = true;
            await held;
          }
        },
      },
    },
  );
  t.teardown(() => hold?.());
  const { app } = worker;
  checkExposition(t, 'ingestion-worker', await scrape(app));
  await checkRequestMetrics(t, app, { method: 'GET', url: '/health' }, { status: 200, route: '/health' });
  await checkRequestMetrics(
    t,
    app,
    { method: 'GET', url: '/api/v1/nowhere' },
    { status: 404, route: '__unknown__', histogram: false },
  );

  const created = await kb.app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: bearer(platform.tokens.operator),
    payload: { name: 'Worker metrics' },
  });
  t.equal(created.statusCode, 201);
  const kbId = (created.json() as { id: string }).id;
  const upload = async (name: string, content: string | Buffer) => {
    const body = multipart(name, content);
    const res = await kb.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kbId}/documents`,
      headers: { ...bearer(platform.tokens.operator), ...body.headers },
      payload: body.payload,
    });
    if (res.statusCode !== 201) throw new Error(`upload of ${name} failed: ${res.statusCode} ${res.body}`);
    return (res.json() as { id: string }).id;
  };
  const statusOf = (docId: string) =>
    waitFor(
      async () => {
        const res = await kb.app.inject({
          method: 'GET',
          url: `/api/v1/knowledge-bases/${kbId}/documents/${docId}`,
          headers: bearer(platform.tokens.operator),
        });
        const status = (res.json() as { status: string }).status;
        return ['READY', 'FAILED'].includes(status) ? status : false;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `document ${docId} done` },
    );

  t.equal(await current(app, 'lumikb_queue_depth'), 0, 'lumikb_queue_depth is 0 with nothing to do');
  const processed = await current(app, 'lumikb_documents_processed_total');
  const embedded = { provider: 'local', type: 'embedding', outcome: 'success' };
  const requests = await current(app, 'lumikb_model_request_total', embedded);
  const latency = await current(app, 'lumikb_model_latency_seconds_count', { provider: 'local', type: 'embedding' });
  const published = await current(app, 'lumikb_outbox_published_total');

  const good = await upload(
    'notes.txt',
    'Metrics are exported by every service.\n\nThe worker counts each document it processes to READY.',
  );
  const depth = await waitForValue(app, 'lumikb_queue_depth', {}, 1);
  t.ok(depth >= 1, `lumikb_queue_depth counts the document in flight (${depth})`);
  t.equal(await current(app, 'lumikb_ingestion_in_flight'), 1, 'lumikb_ingestion_in_flight shows it');
  hold?.();
  t.equal(await statusOf(good), 'READY', 'the text document is READY');
  await waitForValue(app, 'lumikb_documents_processed_total', {}, processed + 1);
  t.equal(await current(app, 'lumikb_documents_processed_total'), processed + 1, 'documents processed +1');
  t.ok((await current(app, 'lumikb_model_request_total', embedded)) > requests, 'model request total moved');
  t.ok(
    (await current(app, 'lumikb_model_latency_seconds_count', { provider: 'local', type: 'embedding' })) > latency,
    'model latency count moved',
  );
  await waitForValue(app, 'lumikb_outbox_published_total', {}, published + 1);
  t.pass('document.processed counts in lumikb_outbox_published_total');
  await waitFor(async () => (await current(app, 'lumikb_queue_depth')) === 0, { what: 'an empty queue' });
  t.pass('lumikb_queue_depth returns to 0');

  const failedAtParse = await current(app, 'lumikb_documents_failed_total', { step: 'parse' });
  const corrupt = await upload(
    'broken.pdf',
    Buffer.from('%PDF-1.7\n%\xff\xff\xff\xff\n1 0 obj <<< truncated garbage', 'latin1'),
  );
  t.equal(await statusOf(corrupt), 'FAILED', 'the corrupt PDF fails');
  await waitForValue(app, 'lumikb_documents_failed_total', { step: 'parse' }, failedAtParse + 1);
  t.equal(
    await current(app, 'lumikb_documents_failed_total', { step: 'parse' }),
    failedAtParse + 1,
    'documents failed{step="parse"} +1',
  );
  t.equal(await current(app, 'lumikb_documents_processed_total'), processed + 1, 'a failure is not counted processed');

  await checkDbConnections(t, app, worker.deps.db.pool);
  await checkOutboxFailure(t, app, worker.deps.db);
  checkExposition(t, 'ingestion-worker', await scrape(app));
});

t.test('proxy-sync', async (t) => {
  const proxy = await startFakeLiteLLM(t, { masterKey: 'sk-master-test-key' });
  const registry = await startFakeRegistry(t, testKeys().publicKey);
  const built = await buildProxySync(t, {
    LITELLM_PROXY_URL: proxy.url,
    LITELLM_MASTER_KEY: 'sk-master-test-key',
    REGISTRY_URL: registry.url,
    SERVICE_CLIENT_SECRET: 'x'.repeat(32),
    SYNC_RETRY_MIN_MS: '50',
    SYNC_RETRY_MAX_MS: '200',
    RECONCILE_INTERVAL_MS: '0',
  });
  const { app, deps } = built;
  checkExposition(t, 'proxy-sync', await scrape(app));
  await checkRequestMetrics(
    t,
    app,
    { method: 'POST', url: '/api/v1/admin/models/sync' },
    { status: 401, route: '/api/v1/admin/models/sync' },
  );

  // A model change while the proxy is down: failed attempts are counted.
  await proxy.setOutage('refuse');
  const failures = await current(app, 'lumikb_proxy_sync_failures_total');
  const handled = { consumer: 'proxy-sync-models', type: 'model.created' };
  const handledBefore = await current(app, 'lumikb_event_handled_total', handled);
  const published = await current(app, 'lumikb_outbox_published_total');
  const model = proxyModelView();
  registry.models.set(model.id, { ...model, api_key: 'sk-provider-secret-5f3c9a1e7b' });
  await publish(built.bus, ModelCreated, { model });
  await waitForValue(app, 'lumikb_event_handled_total', handled, handledBefore + 1);
  t.pass('model.created counts in lumikb_event_handled_total');
  await waitForValue(app, 'lumikb_proxy_sync_failures_total', {}, failures + 1);
  t.pass('a sync against a proxy that is down counts in lumikb_proxy_sync_failures_total');
  t.equal(await current(app, 'lumikb_proxy_sync_state', { state: 'synced' }), 0, 'nothing is synced yet');
  t.equal(await current(app, 'lumikb_proxy_sync_pending_models'), 1, 'the change is pending');

  // The proxy is back: the model is synced.
  await proxy.setOutage(null);
  await waitForValue(app, 'lumikb_proxy_sync_state', { state: 'synced' }, 1);
  t.pass('lumikb_proxy_sync_state{state="synced"} counts the synced model');
  t.equal(await current(app, 'lumikb_proxy_sync_pending_models'), 0, 'nothing is pending');
  await waitForValue(app, 'lumikb_outbox_published_total', {}, published + 2);
  t.pass('model.sync_failed and model.synced count in lumikb_outbox_published_total');

  await checkInvalidEvent(t, app, built.bus, 'proxy-sync-models', 'model.created');
  await checkDbConnections(t, app, deps.db.pool);
  await checkOutboxFailure(t, app, deps.db);
  checkExposition(t, 'proxy-sync', await scrape(app));
});

t.test('every catalogued metric is exported by some service', async (t) => {
  const all = new Set([...exported.values()].flatMap((names) => [...names]));
  const missing = Object.entries(METRICS)
    .filter(([, spec]) => spec.type !== 'builtin')
    .map(([name]) => name)
    .filter((name) => !all.has(name));
  t.same(missing, [], `no dashboard charts a metric nobody exports (missing: ${missing.join(', ') || 'none'})`);
  const unchecked = Object.entries(METRICS)
    .filter(([name, spec]) => spec.type !== 'builtin' && spec.labels.length > 0 && !labelsSeen.has(name))
    .map(([name]) => name);
  t.same(unchecked, NEVER_SAMPLED, 'every labelled metric had its labels checked on a real sample');
});
