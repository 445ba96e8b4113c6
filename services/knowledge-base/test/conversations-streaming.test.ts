/**
 * Conversations while an answer streams: stop by the asker, the client leaving, a model
 * failing mid-answer, the service closing, and a writer that died (lease lapsed).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeServer, type Teardown, waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { setupConversations as setup } from './conversations-helper.ts';
import { auth, buildTestApp, modelView, registerModel } from './helper.ts';

async function startDrippingOllama(t: Teardown) {
  const seen = { chats: 0, closed: 0 };
  const fake = await startFakeServer(t, (req, res) => {
    seen.chats++;
    res.on('close', () => seen.closed++);
    const model = (JSON.parse(req.body || '{}') as { model?: string }).model;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    let sent = 0;
    const drip = setInterval(() => {
      sent++;
      if (model === 'breaks' && sent > 2) {
        clearInterval(drip);
        res.destroy();
        return;
      }
      res.write(`${JSON.stringify({ model, message: { role: 'assistant', content: 'word ' }, done: false })}\n`);
    }, 20);
    res.on('close', () => clearInterval(drip));
  });
  return { ...fake, seen };
}

/** A live app on a port with a generation model that streams until stopped. */
async function liveSetup(t: Teardown) {
  const ollama = await startDrippingOllama(t);
  const built = await setup(t);
  const dripping = await registerModel(
    built,
    modelView({
      type: 'generation',
      provider: 'ollama' as never,
      name: 'Dripping',
      model_id: 'drip',
      api_endpoint: ollama.url,
    }),
  );
  const breaking = await registerModel(
    built,
    modelView({
      type: 'generation',
      provider: 'ollama' as never,
      name: 'Breaking',
      model_id: 'breaks',
      api_endpoint: ollama.url,
    }),
  );
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (built.app.server.address() as AddressInfo).port;
  const open = (path: string, body: unknown, token: string) =>
    new Promise<{ res: IncomingMessage; text: () => string; hangUp: () => void; ended: Promise<void> }>(
      (resolve, reject) => {
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
            const ended = new Promise<void>((done) => res.on('close', () => done()));
            resolve({ res, text: () => text, hangUp: () => req.destroy(), ended });
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      },
    );
  const kbWith = async (modelId: string) => {
    const kb = await built.createKb(`KB ${modelId.slice(0, 8)}`, { generation_model_id: modelId });
    await built.grant(kb.id, built.alice, 'READ');
    return (await built.call('POST', '/api/v1/conversations', built.alice, { kb_ids: [kb.id] })).json() as {
      id: string;
    };
  };
  return { ...built, ollama, dripping, breaking, open, kbWith };
}

t.test('stop: the asker stops an answer; the partial answer is kept, marked stopped', async (t) => {
  const { call, alice, open, kbWith, dripping, ollama } = await liveSetup(t);
  const conversation = await kbWith(dripping.id);
  const stream = await open(`/api/v1/conversations/${conversation.id}/messages`, { content: 'Go on' }, alice);
  t.equal(stream.res.statusCode, 200);
  const messageId = stream.res.headers['x-message-id'] as string;
  await waitFor(() => (stream.text().match(/event: token/g) ?? []).length >= 3, { what: 'a few tokens streamed' });

  const stopped = await call('POST', `/api/v1/conversations/${conversation.id}/messages/${messageId}/stop`, alice);
  t.equal(stopped.statusCode, 204);
  await stream.ended;
  await waitFor(() => ollama.seen.closed >= 1, { what: 'the model call aborted' });
  const answer = await waitFor(
    async () => {
      const m = (await call('GET', `/api/v1/conversations/${conversation.id}`, alice)).json().messages[1];
      return m.status !== 'streaming' ? m : undefined;
    },
    { what: 'the answer saved' },
  );
  t.equal(answer.status, 'stopped');
  t.match(answer.content, /^(word )+$/, 'the words streamed so far are kept');
  const again = await call('POST', `/api/v1/conversations/${conversation.id}/messages/${messageId}/stop`, alice);
  t.equal(again.statusCode, 409, 'a finished answer cannot be stopped');
  t.equal(again.json().code, 'MESSAGE_NOT_STREAMING');
});

t.test('a client that closes the stream stops the answer too; nothing keeps running', async (t) => {
  const { call, alice, open, kbWith, dripping, ollama } = await liveSetup(t);
  const conversation = await kbWith(dripping.id);
  const stream = await open(`/api/v1/conversations/${conversation.id}/messages`, { content: 'Go on' }, alice);
  await waitFor(() => stream.text().includes('event: token'), { what: 'the first token' });
  stream.hangUp();
  await waitFor(() => ollama.seen.closed >= 1, { what: 'the upstream request aborted' });
  const answer = await waitFor(
    async () => {
      const m = (await call('GET', `/api/v1/conversations/${conversation.id}`, alice)).json().messages[1];
      return m.status === 'stopped' ? m : undefined;
    },
    { what: 'the answer marked stopped' },
  );
  t.match(answer.content, /word/);
});

t.test('a model failing mid-stream: the partial answer is kept with the error', async (t) => {
  const { call, alice, open, kbWith, breaking } = await liveSetup(t);
  const conversation = await kbWith(breaking.id);
  const stream = await open(`/api/v1/conversations/${conversation.id}/messages`, { content: 'Try' }, alice);
  await stream.ended;
  t.match(stream.text(), /event: error/, 'the stream says it failed');
  const answer = (await call('GET', `/api/v1/conversations/${conversation.id}`, alice)).json().messages[1];
  t.equal(answer.status, 'failed');
  t.match(answer.error, { code: 'GENERATION_UNAVAILABLE' });
  t.match(answer.content, /word/, 'what came before the failure is kept');
});

t.test('the service going away mid-answer: the question is kept, the answer interrupted', async (t) => {
  const { app, alice, open, kbWith, dripping, platform } = await liveSetup(t);
  const conversation = await kbWith(dripping.id);
  const stream = await open(`/api/v1/conversations/${conversation.id}/messages`, { content: 'Long one' }, alice);
  await waitFor(() => (stream.text().match(/event: token/g) ?? []).length >= 2, { what: 'tokens streamed' });
  const answerId = stream.res.headers['x-message-id'] as string;
  await app.close();

  // The next start of the service (same database) shows what the closing one saved.
  const restarted = await buildTestApp(t, {}, { platform });
  const view = (
    await restarted.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation.id}`, headers: auth(alice) })
  ).json();
  t.same(
    view.messages.map((m: { role: string; content: string }) => m.role),
    ['user', 'assistant'],
  );
  t.equal(view.messages[0].content, 'Long one', 'the question is kept');
  const answer = view.messages[1];
  t.equal(answer.id, answerId);
  t.equal(answer.status, 'interrupted', 'saved as interrupted before the service closed');
  t.match(answer.content, /word/, 'with the text streamed so far');
});

t.test('an answer whose writer died (lease lapsed) reads as interrupted', async (t) => {
  const { call, alice, createKb, grant, deps } = await setup(t);
  const kb = await createKb('Crashed');
  await grant(kb.id, alice, 'READ');
  const { id } = (await call('POST', '/api/v1/conversations', alice, { kb_ids: [kb.id] })).json();
  const now = new Date();
  await deps.db.db
    .insertInto('conversation_messages')
    .values([
      {
        id: '11111111-1111-4111-8111-111111111111',
        conversation_id: id,
        seq: 1,
        role: 'user',
        reply_to: null,
        content: 'Q',
        status: 'complete',
      },
      {
        id: '22222222-2222-4222-8222-222222222222',
        conversation_id: id,
        seq: 2,
        role: 'assistant',
        reply_to: '11111111-1111-4111-8111-111111111111',
        content: 'half an ans',
        status: 'streaming',
        lease_expires_at: new Date(now.getTime() - 1_000),
      },
    ])
    .execute();
  const answer = (await call('GET', `/api/v1/conversations/${id}`, alice)).json().messages[1];
  t.equal(answer.status, 'interrupted');
  t.equal(answer.content, 'half an ans');
});
