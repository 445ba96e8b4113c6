import { startFakeOllama, startFakeServer } from '@lumikb/test-kit';
import t from 'tap';
import {
  LlmRouter,
  OUTBOUND_TARGET_REFUSED,
  OutboundPolicy,
  type Resolver,
  testModelConnection,
} from '../src/index.ts';

/** A resolver that knows a few names, like a hostile DNS zone would. */
const zone: Record<string, string[]> = {
  localhost: ['::1', '127.0.0.1'],
  'rebind.example': ['127.0.0.1'],
  'intranet.example': ['10.1.2.3'],
  'mixed.example': ['93.184.215.14', '192.168.0.10'],
  'public.example': ['93.184.215.14'],
  'meta.example': ['169.254.169.254'],
  'registry.internal': ['172.18.0.3'],
};
const resolve: Resolver = async (name) => {
  const list = zone[name];
  if (!list) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const strict = { allowPrivate: false };
const local = { allowPrivate: true };

async function reason(policy: OutboundPolicy, url: string, options = strict): Promise<string> {
  try {
    await policy.check(url, options);
    return 'allowed';
  } catch (error) {
    return (error as { code?: string; reason?: string }).code === OUTBOUND_TARGET_REFUSED
      ? String((error as { reason: string }).reason)
      : `unexpected: ${error}`;
  }
}

t.test('loopback in any spelling is refused for a cloud provider', async (t) => {
  const policy = new OutboundPolicy({ resolve });
  for (const url of [
    'http://127.0.0.1:8082/',
    'http://127.1:8082/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://2130706433/',
    'http://[::1]:8082/',
    'http://[::ffff:127.0.0.1]:8082/',
    'http://[::ffff:7f00:1]/',
    'http://0.0.0.0:8082/',
    'http://[::]/',
    'http://localhost:8082/',
    'http://LOCALHOST.:8082/',
    'http://127.0.0.1:8082?',
    'http://127.0.0.1:8082#',
    'http://127.0.0.1:8082/?#',
    'http://user:pw@127.0.0.1:8082/',
    'http://evil.example@127.0.0.1/',
    '  http://127.0.0.1/  ',
  ]) {
    const r = await reason(policy, url);
    t.ok(r === 'private' || r === 'unresolvable', `${url.trim()} refused (${r})`);
  }
  // localhost itself resolves through the system: it must come out as loopback, not unresolvable.
  t.equal(await reason(new OutboundPolicy(), 'http://localhost:8082/'), 'private');
});

t.test('private ranges and names resolving into them are refused unless local by nature or allowed', async (t) => {
  const policy = new OutboundPolicy({ resolve });
  for (const url of [
    'http://10.0.0.5/',
    'http://172.16.3.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fd12::1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://rebind.example/',
    'http://intranet.example/',
    'http://mixed.example/',
  ]) {
    t.equal(await reason(policy, url), 'private', `${url} refused for a cloud provider`);
    t.equal(await reason(policy, url, local), 'allowed', `${url} allowed for a local provider`);
  }
  t.equal(await reason(policy, 'https://public.example/v1'), 'allowed', 'a public address is fine');
  t.equal(await reason(policy, 'https://93.184.215.14/v1'), 'allowed');

  const allowing = new OutboundPolicy({ resolve, allowHosts: ['intranet.example', '192.168.0.0/16'] });
  t.equal(await reason(allowing, 'http://intranet.example/'), 'allowed', 'an allowed name');
  t.equal(await reason(allowing, 'http://192.168.7.7/'), 'allowed', 'an address in an allowed range');
  t.equal(await reason(allowing, 'http://10.0.0.5/'), 'private', 'other private addresses stay refused');
  t.equal(await reason(allowing, 'http://rebind.example/'), 'private', 'a name must be allowed by name');
});

t.test('link-local and cloud metadata are refused for everyone, even allowed hosts', async (t) => {
  const policy = new OutboundPolicy({ resolve, allowHosts: ['169.254.0.0/16', 'meta.example'] });
  for (const [url, why] of [
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[::ffff:169.254.169.254]/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata'],
    ['http://METADATA.GOOGLE.INTERNAL./', 'metadata'],
    ['http://meta.example/', 'metadata'],
    ['http://169.254.10.10/', 'link_local'],
    ['http://[fe80::1]/', 'link_local'],
    ['http://224.0.0.1/', 'not_unicast'],
  ] as const) {
    t.equal(await reason(policy, url, local), why, `${url} refused (${why})`);
  }
});

t.test("the platform's own services are refused, on every address that reaches them", async (t) => {
  const policy = new OutboundPolicy({
    resolve,
    ownServiceUrls: ['http://127.0.0.1:8082', 'http://registry.internal:9082'],
  });
  for (const url of [
    'http://127.0.0.1:8082/api/v1/models',
    'http://localhost:8082/',
    'http://[::1]:8082/',
    'http://0.0.0.0:8082/',
    'http://rebind.example:8082/',
    'http://172.18.0.3:9082/',
    'http://registry.internal:9082/',
  ]) {
    t.equal(await reason(policy, url, local), 'own_service', `${url} refused even for a local provider`);
  }
  t.equal(await reason(policy, 'http://localhost:11434/', local), 'allowed', 'a local Ollama on another port is fine');
  t.equal(await reason(policy, 'http://172.18.0.3:11434/', local), 'allowed');
});

t.test('only http(s) URLs; the URL is normalised without credentials or fragment', async (t) => {
  const policy = new OutboundPolicy({ resolve });
  t.equal(await reason(policy, 'file:///etc/passwd'), 'scheme');
  t.equal(await reason(policy, 'gopher://public.example/'), 'scheme');
  t.equal(await reason(policy, 'not a url'), 'invalid_url');
  t.equal(await reason(policy, 'http://no-such-name.example/'), 'unresolvable');
  const checked = await policy.check('https://key:secret@public.example/v1?#frag', strict);
  t.equal(checked.url, 'https://public.example/v1');
  t.same(checked.addresses, [{ address: '93.184.215.14', family: 4 }]);
});

t.test('the connection goes to the checked address, and refusals are not retried', async (t) => {
  const ollama = await startFakeOllama(t, { models: [{ name: 'llama3.2' }] });
  const port = new URL(ollama.url).port;
  let calls = 0;
  const own = await startFakeServer(t, (_req, res) => {
    calls++;
    res.end('{"secret":"internal"}');
  });
  // A name that resolves to loopback (a rebinding zone) reaches the local Ollama...
  const policy = new OutboundPolicy({ resolve, ownServiceUrls: [own.url] });
  const router = new LlmRouter({ outbound: policy, retries: 3, retryBaseDelayMs: 1 });
  t.teardown(() => policy.close());
  const chunks = [];
  for await (const chunk of router.generate(
    {
      id: 'a',
      type: 'generation',
      provider: 'ollama',
      model_id: 'llama3.2',
      api_endpoint: `http://rebind.example:${port}`,
      config: {},
    },
    { messages: [{ role: 'user', content: 'hi' }] },
  )) {
    chunks.push(chunk);
  }
  t.match(chunks.at(-1), { type: 'done' }, 'a local provider on loopback answers');

  // ...but an endpoint aimed at one of our own services never gets a connection.
  const generation = router.generate(
    { id: 'b', type: 'generation', provider: 'ollama', model_id: 'x', api_endpoint: own.url, config: {} },
    { messages: [{ role: 'user', content: 'hi' }] },
  );
  const refusal = await generation.next().then(
    () => undefined,
    (error: unknown) => error,
  );
  t.match(refusal, { kind: 'refused', details: { code: OUTBOUND_TARGET_REFUSED, reason: 'own_service' } });
  t.equal(calls, 0, 'the own service saw no request');
});

t.test('upstream error bodies are summarised, never echoed', async (t) => {
  const page = `<html><body>${'internal dashboard '.repeat(200)}</body></html>`;
  const html = await startFakeServer(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end(page);
  });
  const chatty = await startFakeServer(t, (_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `bad\u202e model\n${'x'.repeat(5_000)}` } }));
  });
  const policy = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });
  t.teardown(() => policy.close());
  const model = (url: string) => ({
    id: 'c',
    type: 'generation' as const,
    provider: 'openai' as const,
    model_id: 'gpt',
    api_endpoint: url,
    config: {},
  });
  const fromHtml = await testModelConnection(model(html.url), { apiKey: 'sk-test' }, { outbound: policy });
  t.equal(fromHtml.success, false);
  t.match(fromHtml.message, /HTTP 500/);
  t.notMatch(JSON.stringify(fromHtml), /dashboard/, 'nothing of the HTML page comes back');

  const fromJson = await testModelConnection(model(chatty.url), { apiKey: 'sk-test' }, { outbound: policy });
  const said = String(fromJson.details.provider_message);
  t.match(said, /^bad model x+…$/, 'the reason is one line without bidi controls');
  t.ok(said.length <= 200, `bounded (${said.length} chars)`);
});

t.test('a name that resolves to loopback is refused at connect time for a cloud provider', async (t) => {
  let calls = 0;
  const server = await startFakeServer(t, (_req, res) => {
    calls++;
    res.end('{}');
  });
  const port = new URL(server.url).port;
  const policy = new OutboundPolicy({ resolve });
  t.teardown(() => policy.close());
  const result = await testModelConnection(
    {
      id: 'd',
      type: 'generation',
      provider: 'openai',
      model_id: 'gpt',
      api_endpoint: `http://rebind.example:${port}/v1`,
      config: {},
    },
    { apiKey: 'sk-test' },
    { outbound: policy },
  );
  t.equal(result.success, false);
  t.match(result.details, { kind: 'refused', code: OUTBOUND_TARGET_REFUSED, reason: 'private' });
  t.match(result.message, /rebind\.example \(127\.0\.0\.1\) is a loopback address/);
  t.equal(calls, 0, 'no connection was made');
});
