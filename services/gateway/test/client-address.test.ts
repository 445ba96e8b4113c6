/**
 * The gateway decides who the client is: the socket address unless a proxy listed in
 * TRUSTED_PROXIES says otherwise. A client's own X-Forwarded-For neither escapes the
 * rate limit nor reaches an upstream.
 */
import t from 'tap';
import { buildTestApp, fixedLimits } from './helper.ts';

const call = (
  app: Awaited<ReturnType<typeof buildTestApp>>['app'],
  remoteAddress: string,
  headers: Record<string, string> = {},
) => app.inject({ method: 'GET', url: '/api/v1/models/available', remoteAddress, headers });

t.test('without TRUSTED_PROXIES a client-sent X-Forwarded-For is ignored and overwritten', async (t) => {
  const { app } = await buildTestApp(t, {}, { settings: fixedLimits({ api_requests_per_minute: 3 }) });
  const seen = await call(app, '203.0.113.7', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '1.2.3.4' });
  t.equal(seen.statusCode, 200);
  t.equal(seen.json().forwardedFor, '203.0.113.7', 'the upstream is told the socket address, not the claim');
  t.equal(seen.json().realIp, null, 'X-Real-IP is not passed on');

  for (let i = 2; i <= 3; i++)
    t.equal((await call(app, '203.0.113.7', { 'x-forwarded-for': `9.9.9.${i}` })).statusCode, 200);
  const limited = await call(app, '203.0.113.7', { 'x-forwarded-for': '9.9.9.200' });
  t.equal(limited.statusCode, 429, 'a fresh X-Forwarded-For does not reset the per-address limit');
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.equal((await call(app, '203.0.113.8')).statusCode, 200, 'another socket address has its own budget');
});

t.test('with TRUSTED_PROXIES the address forwarded by a listed proxy is the client', async (t) => {
  const { app } = await buildTestApp(
    t,
    { TRUSTED_PROXIES: '10.0.0.0/8' },
    { settings: fixedLimits({ api_requests_per_minute: 2 }) },
  );
  const viaProxy = await call(app, '10.1.1.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' });
  t.equal(
    viaProxy.json().forwardedFor,
    '198.51.100.9',
    'the right-most address not sent by a trusted proxy; what the client prepended is dropped',
  );
  t.equal((await call(app, '10.1.1.1', { 'x-forwarded-for': '198.51.100.9' })).statusCode, 200);
  t.equal(
    (await call(app, '10.1.1.1', { 'x-forwarded-for': '198.51.100.9' })).statusCode,
    429,
    'the limit follows the forwarded client',
  );
  t.equal((await call(app, '10.1.1.1', { 'x-forwarded-for': '198.51.100.10' })).statusCode, 200);
  const untrusted = await call(app, '203.0.113.50', { 'x-forwarded-for': '198.51.100.11' });
  t.equal(untrusted.json().forwardedFor, '203.0.113.50', 'a caller outside the list is not believed');
});
