/**
 * Auth believes X-Forwarded-For only from the proxies in TRUSTED_PROXIES (the gateway):
 * a client rotating the header neither escapes the per-address sign-in throttle nor
 * writes an address of its choosing into the audit trail.
 */
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, buildTestApp } from './helper.ts';

type App = Awaited<ReturnType<typeof buildTestApp>>['app'];
const attempt = (app: App, email: string, remoteAddress: string, forwardedFor?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: 'Wrong-password-123' },
    remoteAddress,
    ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
  });

async function auditedIps(deps: Awaited<ReturnType<typeof buildTestApp>>['deps'], count: number) {
  return waitFor(
    async () => {
      const rows = await deps.db.db
        .selectFrom('audit_log')
        .select('ip')
        .where('action', '=', 'auth.login_failed')
        .execute();
      return rows.length >= count ? rows.map((r) => r.ip) : undefined;
    },
    { what: `${count} failed sign-ins audited` },
  );
}

t.test(
  'a rotating X-Forwarded-For does not reset the per-address throttle or change the audited address',
  async (t) => {
    const { app, deps } = await buildTestApp(t, { LOGIN_MAX_FAILURES_PER_IP: '3' });
    for (let i = 0; i < 3; i++) {
      const res = await attempt(app, `someone${i}@company.local`, '203.0.113.5', `198.51.100.${i}`);
      t.equal(res.statusCode, 401);
    }
    const fourth = await attempt(app, 'someone9@company.local', '203.0.113.5', '198.51.100.99');
    t.equal(fourth.statusCode, 429, 'a fresh header is the same client');
    t.match(fourth.json(), { code: 'LOGIN_THROTTLED', details: { scope: 'ip' } });
    const ips = await auditedIps(deps, 4);
    t.same([...new Set(ips)], ['203.0.113.5'], 'every audited attempt carries the socket address');
  },
);

t.test('behind a trusted proxy the forwarded address is the client', async (t) => {
  const { app, deps } = await buildTestApp(t, { TRUSTED_PROXIES: '10.0.0.0/8', LOGIN_MAX_FAILURES_PER_IP: '2' });
  t.equal((await attempt(app, ADMIN_EMAIL, '10.0.0.2', '198.51.100.20')).statusCode, 401);
  t.equal((await attempt(app, 'x@company.local', '10.0.0.2', '198.51.100.20')).statusCode, 401);
  t.equal((await attempt(app, 'y@company.local', '10.0.0.2', '198.51.100.20')).statusCode, 429);
  const other = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    remoteAddress: '10.0.0.2',
    headers: { 'x-forwarded-for': '198.51.100.21' },
  });
  t.equal(other.statusCode, 200, 'another client behind the same proxy is not throttled');
  const ips = await auditedIps(deps, 3);
  t.ok(
    ips.every((ip) => ip === '198.51.100.20'),
    'the audit trail records the forwarded client',
  );
});
