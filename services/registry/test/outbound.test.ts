/** The connection test is fenced: it cannot be aimed at the platform itself or at cloud metadata. */
import { startFakeOllama, startFakeServer } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { client, createModel, ollamaEmbedding, openaiGeneration } from './support.ts';

t.test("the connection test cannot reach the stack's own ports, while a local Ollama still works", async (t) => {
  // Stand-ins for the knowledge-base service and the gateway, listening on loopback.
  let reached = 0;
  const ownService = () =>
    startFakeServer(t, (_req, res) => {
      reached++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":[{"embedding":[0.1]}],"secret":"internal"}');
    });
  const kb = await ownService();
  const gateway = await ownService();
  const ollama = await startFakeOllama(t);
  // Nothing allowed by the admin: the out-of-the-box configuration.
  const test = await buildTestApp(t, { KB_URL: kb.url, GATEWAY_URL: gateway.url, OUTBOUND_ALLOW_HOSTS: '' });
  const admin = client(test.app, test.tokens.admin);

  const nomic = await createModel(admin, ollamaEmbedding({ api_endpoint: ollama.url }));
  const ok = await admin.post(`/api/v1/admin/models/${nomic.id}/test`);
  t.equal(ok.status, 200);
  t.match(ok.body, { success: true }, 'an Ollama on loopback answers out of the box');

  const kbPort = new URL(kb.url).port;
  const gatewayPort = new URL(gateway.url).port;
  const aimedAtUs = [
    // custom endpoints may be private, but never one of our services, in any spelling
    { provider: 'custom', api_endpoint: `${kb.url}/v1` },
    { provider: 'custom', api_endpoint: `http://localhost:${kbPort}/v1` },
    { provider: 'custom', api_endpoint: `http://[::ffff:127.0.0.1]:${kbPort}/v1?` },
    { provider: 'custom', api_endpoint: `http://0.0.0.0:${gatewayPort}#` },
    { provider: 'ollama', api_endpoint: `http://127.1:${gatewayPort}` },
  ];
  for (const target of aimedAtUs) {
    const refused = await admin.post('/api/v1/admin/models/test', {
      type: 'embedding',
      model_id: 'm',
      config: { dimensions: 768, max_tokens: 8192 },
      ...(target.provider === 'custom' ? { api_key: 'sk-test-0123456789abcdef' } : {}),
      ...target,
    });
    t.equal(refused.status, 422, `${target.provider} ${target.api_endpoint} is refused`);
    t.match(refused.body, { code: 'OUTBOUND_TARGET_REFUSED', details: { reason: 'own_service' } });
  }
  t.equal(reached, 0, 'no request reached our own services');

  // A cloud provider may not be pointed at loopback at all (the Ollama port included),
  // nor anyone at the metadata service.
  const elsewhere = [
    { provider: 'openai', api_endpoint: `${ollama.url}/v1`, reason: 'private' },
    { provider: 'openai', api_endpoint: `http://127.0.0.1:${new URL(ollama.url).port}/v1?#`, reason: 'private' },
    { provider: 'anthropic', api_endpoint: `http://0x7f.1:${new URL(ollama.url).port}`, reason: 'private' },
    { provider: 'custom', api_endpoint: 'http://169.254.169.254/latest', reason: 'metadata' },
    { provider: 'custom', api_endpoint: 'http://metadata.google.internal/v1', reason: 'metadata' },
    { provider: 'custom', api_endpoint: 'http://[fe80::1]/v1', reason: 'link_local' },
  ];
  for (const { reason, ...target } of elsewhere) {
    const refused = await admin.post('/api/v1/admin/models/test', openaiGeneration(target));
    t.equal(refused.status, 422, `${target.provider} ${target.api_endpoint} is refused`);
    t.match(refused.body, { code: 'OUTBOUND_TARGET_REFUSED', details: { reason } });
  }

  // A saved model whose endpoint is refused gets the same answer and no stored result.
  const saved = await createModel(admin, openaiGeneration({ api_endpoint: `${gateway.url}/v1` }));
  const savedTest = await admin.post(`/api/v1/admin/models/${saved.id}/test`);
  t.equal(savedTest.status, 422);
  t.equal(savedTest.body.code, 'OUTBOUND_TARGET_REFUSED');
  t.equal((await admin.get(`/api/v1/admin/models/${saved.id}`)).body.last_test, null, 'nothing stored');
  t.equal(reached, 0);
});

t.test('an admin may allow a private host for a cloud-style provider', async (t) => {
  const ollama = await startFakeOllama(t);
  const test = await buildTestApp(t, { OUTBOUND_ALLOW_HOSTS: 'localhost, 10.0.0.0/8' });
  const admin = client(test.app, test.tokens.admin);
  const port = new URL(ollama.url).port;
  // Not an OpenAI server, but the fence let it through: the answer is the fake's 404.
  const allowed = await admin.post(
    '/api/v1/admin/models/test',
    openaiGeneration({ api_endpoint: `http://localhost:${port}/v1` }),
  );
  t.equal(allowed.status, 200);
  t.notMatch(allowed.body.details, { code: 'OUTBOUND_TARGET_REFUSED' });
  t.ok(ollama.requests.length > 0, 'the allowed host was called');
});
