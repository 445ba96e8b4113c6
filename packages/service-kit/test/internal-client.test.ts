/**
 * The internal client fails with the platform's own codes: a token that cannot be had, a
 * service that answers an error (its code kept), an answer outside its contract, a
 * service that does not answer in time.
 */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { ModelCredentialsListSchema } from '@lumikb/contracts';
import { sendJson, startFakeServer } from '@lumikb/test-kit';
import t from 'tap';
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
