/**
 * Revocation reaches every service, not only auth: after a demotion, a deactivation, a
 * sign-out everywhere or a password change, the user's earlier access token is refused
 * by the registry with 401 TOKEN_REVOKED within seconds — and by a registry started
 * after the revocation too.
 */

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  bearer,
  buildTestApp as buildAuth,
  createUser,
  login,
  PASSWORD,
} from '@lumikb/auth/testing';
import { DEFAULT_GROUPS } from '@lumikb/contracts';
import { buildTestApp as buildRegistry } from '@lumikb/registry/testing';
import { type Teardown, waitFor } from '@lumikb/test-kit';
import t from 'tap';

type Inject = Awaited<ReturnType<typeof buildAuth>>['app'];

async function stack(t: Teardown) {
  const auth = await buildAuth(t);
  // Same NATS prefix and signing keys as auth: the registry follows auth's USERS stream.
  const registry = await buildRegistry(t, { NATS_PREFIX: auth.prefix });
  const admin = await login(auth.app, ADMIN_EMAIL, ADMIN_PASSWORD);
  return { auth, registry, admin };
}

const available = (app: Inject, token: string) =>
  app.inject({ method: 'GET', url: '/api/v1/models/available', headers: bearer(token) });

async function refusedWithin(app: Inject, token: string, what: string) {
  const res = await waitFor(
    async () => {
      const r = await available(app, token);
      return r.statusCode === 401 ? r : undefined;
    },
    { timeoutMs: 5_000, what },
  );
  return res.json() as { code: string };
}

t.test('each of the four revocations ends access on another service within seconds', async (t) => {
  const { auth, registry, admin } = await stack(t);
  const users = {
    demoted: await createUser(auth.app, admin.access_token, {
      email: 'demoted@company.local',
      group_ids: [DEFAULT_GROUPS.OPERATORS.id],
    }),
    deactivated: await createUser(auth.app, admin.access_token, { email: 'deactivated@company.local' }),
    everywhere: await createUser(auth.app, admin.access_token, { email: 'everywhere@company.local' }),
    password: await createUser(auth.app, admin.access_token, { email: 'password@company.local' }),
  };
  const sessions = Object.fromEntries(
    await Promise.all(
      Object.entries(users).map(async ([k, u]) => [k, await login(auth.app, u.email, PASSWORD)] as const),
    ),
  );
  for (const [name, session] of Object.entries(sessions)) {
    t.equal((await available(registry.app, session.access_token)).statusCode, 200, `${name}: works before`);
  }

  const asAdmin = { headers: bearer(admin.access_token) };
  await auth.app.inject({
    method: 'DELETE',
    url: `/api/v1/admin/groups/${DEFAULT_GROUPS.OPERATORS.id}/members/${users.demoted.id}`,
    ...asAdmin,
  });
  await auth.app.inject({ method: 'POST', url: `/api/v1/admin/users/${users.deactivated.id}/deactivate`, ...asAdmin });
  await auth.app.inject({
    method: 'POST',
    url: '/api/v1/auth/logout',
    headers: bearer(sessions.everywhere!.access_token),
    payload: { all: true },
  });
  const changed = await auth.app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: bearer(sessions.password!.access_token),
    payload: { current_password: PASSWORD, new_password: 'a-new-pass-phrase-7' },
  });
  t.equal(changed.statusCode, 200, 'the password changes; the caller goes on under new tokens');

  for (const [name, session] of Object.entries(sessions)) {
    const refused = await refusedWithin(
      registry.app,
      session.access_token,
      `${name}'s old token refused by the registry`,
    );
    t.equal(refused.code, 'TOKEN_REVOKED', `${name}: the old token is refused with a stable code`);
  }
  const fresh = await login(auth.app, users.demoted.email, PASSWORD);
  t.equal((await available(registry.app, fresh.access_token)).statusCode, 200, 'a token issued afterwards works');

  const restarted = await buildRegistry(t, { NATS_PREFIX: auth.prefix });
  const res = await available(restarted.app, sessions.everywhere!.access_token);
  t.equal(res.statusCode, 401, 'a registry started after the revocation knows it from the start');
  t.equal(res.json().code, 'TOKEN_REVOKED');
});
