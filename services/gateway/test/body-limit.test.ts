/**
 * Bodies over the limit answer 413 PAYLOAD_TOO_LARGE through the gateway, in the error
 * shape, whether the client declares the size or streams it chunked; uploads within the
 * upstream's own limit still pass. The upstream is a real service-kit app (1 MiB limit).
 */
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createServiceApp } from '@lumikb/service-kit';
import { testKeys, testLogger } from '@lumikb/test-kit';
import t from 'tap';
import { Agent, request } from 'undici';
import { buildTestApp } from './helper.ts';

async function gatewayInFrontOfARealService(t: Tap) {
  const keys = testKeys();
  const auth = await createServiceApp({ service: 'auth', logger: testLogger(), auth: { publicKey: keys.publicKey } });
  auth.post('/api/v1/auth/login', { config: { access: 'public' } }, async (req) => ({
    size: JSON.stringify(req.body).length,
  }));
  await auth.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => auth.close());
  const { app: gateway } = await buildTestApp(t, {
    JWT_PUBLIC_KEY: keys.publicKey,
    AUTH_URL: `http://127.0.0.1:${(auth.server.address() as AddressInfo).port}`,
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  // Our own client, closed at the end: no keep-alive socket holds the servers' close up.
  const client = new Agent({ keepAliveTimeout: 1 });
  t.teardown(() => client.destroy());
  const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  return { base, client };
}
type Tap = { teardown(fn: () => unknown): void };

const json = (bytes: number) => JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(bytes) });

t.test('a JSON body over 1 MiB → 413 PAYLOAD_TOO_LARGE, declared or chunked', async (t) => {
  const { base, client } = await gatewayInFrontOfARealService(t);
  const declared = await request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: json(2 * 1024 * 1024),
  });
  t.equal(declared.statusCode, 413, 'declared size over the limit');
  t.equal(((await declared.body.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');

  async function* chunks() {
    for (let i = 0; i < 40; i++) yield Buffer.from('x'.repeat(64 * 1024));
  }
  const chunked = await request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: Readable.from(chunks()),
  });
  t.equal(chunked.statusCode, 413, 'chunked body over the limit');
  t.equal(((await chunked.body.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');

  const fine = await request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: json(100 * 1024),
  });
  t.equal(fine.statusCode, 200, 'a body within the limit reaches the service');
  await fine.body.dump();

  const fineChunked = await request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: Readable.from([json(300 * 1024).slice(0, 1000), json(300 * 1024).slice(1000)]),
  });
  t.equal(fineChunked.statusCode, 200, 'a chunked body within the limit reaches the service whole');
  t.equal(((await fineChunked.body.json()) as { size: number }).size, json(300 * 1024).length);
});

t.test(
  'a multipart upload over 1 MiB is passed to the knowledge-base service, which owns the upload limit',
  async (t) => {
    const { base, client } = await gatewayInFrontOfARealService(t);
    const boundary = 'gatewaytest';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n`),
      Buffer.alloc(2 * 1024 * 1024, 'a'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await request(`${base}/api/v1/knowledge-bases/kb1/documents`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    t.equal(res.statusCode, 200);
    t.equal(
      ((await res.body.json()) as { upstream: string }).upstream,
      'knowledge-base',
      'the upload reached the upstream',
    );
  },
);
