/**
 * The internal client fails with the platform's own codes: a token that cannot be had, a
 * service that answers an error (its code kept), an answer outside its contract, a
 * service that does not answer in time.
 */

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { ModelCredentialsListSchema } from '@lumikb/contracts';
import { sendJson, startFakeServer } from '@lumikb/test-kit';
import t, { type Test } from 'tap';
import { createInternalClient } from '../src/internal-client.ts';

t.test('internal calls: token, errors by code, contract checked, time budget', async (t) => {
  const seen: (string | undefined)[] = [];
  const fake = await startFakeServer(t, (req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === '/ok') return sendJson(res, 200, { items: [] });
    if (req.url === '/drifted') return sendJson(res, 200, { models: [] });
    if (req.url === '/slow') return; // never answers
    return sendJson(res, 404, { code: 'MODEL_NOT_FOUND', message: 'Model x not found' });
  });
  const client = (token = async () => 'svc-token', timeoutMs = 2_000) =>
    createInternalClient({ target: 'the registry', baseUrl: `${fake.url}/`, token, timeoutMs });

  t.same(await client().get('/ok', ModelCredentialsListSchema), { items: [] });
  t.equal(seen[0], 'Bearer svc-token', 'the service token is sent');
  await t.rejects(client().get('/gone', ModelCredentialsListSchema), {
    name: 'InternalCallError',
    code: 'UPSTREAM_ERROR',
    status: 404,
    upstreamCode: 'MODEL_NOT_FOUND',
  });
  await t.rejects(client().get('/drifted', ModelCredentialsListSchema), {
    code: 'UPSTREAM_INVALID_RESPONSE',
    message: /outside its contract/,
  });
  await t.rejects(
    client(async () => {
      throw new Error('auth is down');
    }).get('/ok', ModelCredentialsListSchema),
    { name: 'InternalCallError', code: 'SERVICE_TOKEN_UNAVAILABLE', message: /auth is down/ },
    'a token failure is the platform’s own error, not an LLM provider’s "auth"',
  );
  await t.rejects(client(undefined, 50).get('/slow', ModelCredentialsListSchema), { code: 'UPSTREAM_TIMEOUT' });
  // A port that was just free: nothing listens there (fetch refuses port 1 as unsafe).
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  await t.rejects(
    createInternalClient({
      target: 'the registry',
      baseUrl: `http://127.0.0.1:${port}`,
      token: async () => 'x',
      timeoutMs: 2_000,
    }).get('/ok', ModelCredentialsListSchema),
    { code: 'UPSTREAM_UNREACHABLE', message: /ECONNREFUSED/ },
  );
});

/** A server of the test's own: it sees each piece of a streamed body as it arrives. */
async function rawServer(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (baseUrl: string) =>
  createInternalClient({ target: 'the knowledge-base service', baseUrl, token: async () => 'svc', timeoutMs: 5_000 });

t.test('downloads arrive as a stream, checked against their announced length', async (t) => {
  let readFirst!: () => void;
  const firstRead = new Promise<void>((resolve) => {
    readFirst = resolve;
  });
  const url = await rawServer(t, (req, res) => {
    if (req.url === '/file') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '10' });
      res.write('hello');
      // The rest only once the client has the first piece: a client that waited for the whole body would hang.
      void firstRead.then(() => res.end('world'));
      return;
    }
    if (req.url === '/short') {
      res.writeHead(200, { 'content-length': '10' });
      res.write('hell');
      setImmediate(() => res.destroy());
      return;
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': '100' });
      res.end('x'.repeat(100));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'DOCUMENT_NOT_FOUND', message: 'Document d not found' }));
  });
  const download = await client(url).download('/file');
  t.equal(download.length, 10, 'the announced length');
  const pieces: string[] = [];
  for await (const piece of download.body) {
    pieces.push(Buffer.from(piece).toString());
    readFirst();
  }
  t.equal(pieces.join(''), 'helloworld');
  t.ok(pieces.length >= 2, 'read piece by piece');

  const short = await client(url).download('/short');
  await t.rejects(
    (async () => {
      for await (const _ of short.body);
    })(),
    { name: 'InternalCallError', code: /UPSTREAM_(UNREACHABLE|INVALID_RESPONSE)/ },
    'a body that breaks off is the platform’s error, not a short file',
  );
  await t.rejects(client(url).download('/big', { maxBytes: 50 }), {
    code: 'UPSTREAM_INVALID_RESPONSE',
    message: /100 bytes/,
  });
  await t.rejects(client(url).download('/gone'), {
    name: 'InternalCallError',
    code: 'UPSTREAM_ERROR',
    status: 404,
    upstreamCode: 'DOCUMENT_NOT_FOUND',
  });
});

t.test('uploads are sent as they are produced; an error answer keeps its code', async (t) => {
  let gotFirst!: () => void;
  const firstArrived = new Promise<void>((resolve) => {
    gotFirst = resolve;
  });
  const received: { type?: string; auth?: string; body: string } = { body: '' };
  const url = await rawServer(t, (req, res) => {
    received.type = req.headers['content-type'];
    received.auth = req.headers.authorization;
    req.on('data', (piece: Buffer) => {
      received.body += piece.toString();
      gotFirst();
    });
    req.on('end', () => {
      if (req.url === '/stale') {
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'STALE_ATTEMPT', message: 'Attempt 1 is not current' }));
        return;
      }
      res.writeHead(204);
      res.end();
    });
  });
  async function* content() {
    yield Buffer.from('{"attempt":1}\n');
    // The second piece only once the server has the first: a client that buffered the body would hang.
    await firstArrived;
    yield Buffer.from('the text');
  }
  await client(url).upload('/content', { contentType: 'application/vnd.lumikb.content', content: content() });
  t.same(received, { type: 'application/vnd.lumikb.content', auth: 'Bearer svc', body: '{"attempt":1}\nthe text' });

  await t.rejects(
    client(url).upload('/stale', {
      contentType: 'application/vnd.lumikb.content',
      content: (async function* () {
        yield Buffer.from('x');
      })(),
    }),
    { name: 'InternalCallError', code: 'UPSTREAM_ERROR', status: 409, upstreamCode: 'STALE_ATTEMPT' },
  );
});
