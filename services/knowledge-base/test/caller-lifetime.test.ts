/**
 * Work ends when its caller leaves: a chat or search whose client disconnects stops its
 * upstream model call; no user holds more than a few chats or searches at once; a query
 * cannot ask for unbounded work.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeServer, type Teardown, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, modelView, registerModel, seedDefaultModels } from './helper.ts';

/**
 * An Ollama that streams its answer one word every 20 ms, forever, and never answers
 * an embedding request: both only end when the caller hangs up.
 */
async function startSlowOllama(t: Teardown) {
  const seen = { chats: 0, embeds: 0, closed: 0 };
  const fake = await startFakeServer(t, (req, res) => {
    res.on('close', () => seen.closed++);
    if (req.url === '/api/embed') {
      seen.embeds++;
      return; // never answered
    }
    seen.chats++;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const drip = setInterval(() => {
      res.write(
        `${JSON.stringify({ model: 'slow', message: { role: 'assistant', content: 'word ' }, done: false })}\n`,
      );
    }, 20);
    res.on('close', () => clearInterval(drip));
  });
  return { ...fake, seen };
}

async function setup(t: Teardown, env: Record<string, string> = {}) {
  const ollama = await startSlowOllama(t);
  const built = await buildTestApp(t, env);
  await seedDefaultModels(built);
  const slowAnswerer = await registerModel(
    built,
    modelView({
      type: 'generation',
      provider: 'ollama' as never,
      name: 'Slow answerer',
      model_id: 'slow',
      api_endpoint: ollama.url,
    }),
  );
  const hangingEmbedder = await registerModel(
    built,
    modelView({
      type: 'embedding',
      provider: 'ollama' as never,
      name: 'Hanging embedder',
      model_id: 'hang',
      api_endpoint: ollama.url,
    }),
  );
  const create = async (name: string, body: Record<string, unknown>) => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: auth(built.tokens.operator),
      payload: { name, ...body },
    });
    if (res.statusCode !== 201) throw new Error(`KB create failed: ${res.body}`);
    return res.json() as { id: string };
  };
  const chatKb = await create('Chatty', { generation_model_id: slowAnswerer.id });
  const searchKb = await create('Hanging', { embedding_model_id: hangingEmbedder.id });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (built.app.server.address() as AddressInfo).port;

  /** A real HTTP request (inject cannot hang up); resolves once the response headers arrive. */
  const open = (path: string, body: unknown, token = built.tokens.operator) =>
    new Promise<{ res: IncomingMessage; text: () => string; hangUp: () => void }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: { ...auth(token), 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('error', () => {});
          resolve({ res, text: () => text, hangUp: () => req.destroy() });
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  /** A request whose response never comes until it hangs up (search waiting on the embedder). */
  const send = (path: string, body: unknown, token = built.tokens.operator) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { ...auth(token), 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify(body));
    return { hangUp: () => req.destroy() };
  };
  return { ...built, ollama, chatKb, searchKb, open, send };
}

t.test('a chat client that disconnects stops the upstream generation', async (t) => {
  const { ollama, chatKb, open } = await setup(t);
  const chat = await open('/api/v1/chat', { kb_id: chatKb.id, message: 'Tell me everything' });
  t.equal(chat.res.statusCode, 200);
  await waitFor(() => chat.text().includes('event: token'), { what: 'the first streamed token' });
  t.equal(ollama.seen.closed, 0, 'the upstream is streaming');

  chat.hangUp();
  await waitFor(() => ollama.seen.closed >= 1, { timeoutMs: 5_000, what: 'the upstream request aborted' });
  t.pass('the model server saw its connection close once the client left');
});

t.test('a search client that disconnects stops the query embedding', async (t) => {
  const { ollama, searchKb, send } = await setup(t);
  const search = send('/api/v1/search', { query: 'anything', kb_ids: [searchKb.id] });
  await waitFor(() => ollama.seen.embeds >= 1, { what: 'the query embedding requested' });
  search.hangUp();
  await waitFor(() => ollama.seen.closed >= 1, { timeoutMs: 5_000, what: 'the embedding request aborted' });
  t.pass('the embedder saw its connection close once the client left');
});

t.test('per-user concurrency: a few chats and searches at once, then 429 with Retry-After', async (t) => {
  const { app, ollama, chatKb, searchKb, open, send, tokens } = await setup(t, {
    CHAT_MAX_CONCURRENT_PER_USER: '2',
    SEARCH_MAX_CONCURRENT_PER_USER: '1',
  });
  const chats = [];
  for (let i = 0; i < 2; i++) {
    const chat = await open('/api/v1/chat', { kb_id: chatKb.id, message: `question ${i}` });
    t.equal(chat.res.statusCode, 200, `chat ${i + 1} of 2 streams`);
    chats.push(chat);
  }
  const third = await app.inject({
    method: 'POST',
    url: '/api/v1/chat',
    headers: auth(tokens.operator),
    payload: { kb_id: chatKb.id, message: 'one more' },
  });
  t.equal(third.statusCode, 429);
  t.match(third.json(), { code: 'TOO_MANY_CONCURRENT_REQUESTS', details: { limit: 2 } });
  t.equal(third.headers['retry-after'], '1');

  // Leaving frees the slot.
  chats[0]?.hangUp();
  const again = await waitFor(
    async () => {
      const attempt = await open('/api/v1/chat', { kb_id: chatKb.id, message: 'now?' });
      if (attempt.res.statusCode === 200) return attempt;
      attempt.hangUp();
      return undefined;
    },
    { what: 'a chat accepted after one ended' },
  );
  t.equal(again.res.statusCode, 200, 'a new chat is accepted once one ended');
  again.hangUp();
  chats[1]?.hangUp();

  const first = send('/api/v1/search', { query: 'anything', kb_ids: [searchKb.id] });
  await waitFor(() => ollama.seen.embeds >= 1, { what: 'the first search running' });
  const second = await app.inject({
    method: 'POST',
    url: '/api/v1/search',
    headers: auth(tokens.operator),
    payload: { query: 'another' },
  });
  t.equal(second.statusCode, 429);
  t.equal(second.json().code, 'TOO_MANY_CONCURRENT_REQUESTS');
  t.equal(second.headers['retry-after'], '1');
  const otherUser = await app.inject({
    method: 'POST',
    url: '/api/v1/search',
    headers: auth(tokens.user),
    payload: { query: 'another' },
  });
  t.equal(otherUser.statusCode, 200, 'the limit is per user');
  first.hangUp();
});

t.test('query length, top_k and kb_ids are bounded with a 400', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const search = (payload: Record<string, unknown>) =>
    built.app.inject({ method: 'POST', url: '/api/v1/search', headers: auth(built.tokens.operator), payload });
  const ok = await search({ query: 'x'.repeat(2_000), top_k: 100 });
  t.equal(ok.statusCode, 200, 'at the limits');
  for (const [what, payload] of [
    ['a 2,001-character query', { query: 'x'.repeat(2_001) }],
    ['top_k 101', { query: 'x', top_k: 101 }],
    ['51 kb_ids', { query: 'x', kb_ids: Array.from({ length: 51 }, () => crypto.randomUUID()) }],
  ] as const) {
    const res = await search(payload);
    t.equal(res.statusCode, 400, `${what} is refused`);
    t.equal(res.json().code, 'VALIDATION_FAILED');
  }
});
