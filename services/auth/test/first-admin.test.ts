import { Writable } from 'node:stream';
import { createTestPlatform, generateSigningKeys } from '@lumikb/test-kit';
import pino from 'pino';
import t, { type Test } from 'tap';
import { buildApp, connect, STREAMS_USED } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { SCHEMA } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { bearer, login } from './helper.ts';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

async function platformEnv(t: Test) {
  const platform = await createTestPlatform(t, { schemas: [{ schema: SCHEMA, migrations }], streams: STREAMS_USED });
  return {
    ...platform.env,
    JWT_PRIVATE_KEY: platform.keys.privateKey,
    SERVICE_CLIENT_SECRET: 'a-test-only-service-secret-of-32-chars',
  };
}

async function start(t: Test, env: Record<string, string>, logger: pino.Logger) {
  const config = readConfig(env);
  const deps = await connect(config, { runMigrations: false });
  const app = await buildApp(config, { ...deps, logger }).catch(async (error) => {
    await deps.bus.close();
    await deps.db.close();
    throw error;
  });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

t.test('without LUMIKB_ADMIN_PASSWORD a strong password is generated and logged exactly once', async (t) => {
  const env = await platformEnv(t);
  const first = capturingLogger();
  const app = await start(t, env, first.logger);

  const marked = first.lines.filter((l) => l.includes('FIRST ADMINISTRATOR'));
  t.equal(marked.length, 1, 'one clearly marked line');
  const password = /generated password (\S+)/.exec(JSON.parse(marked[0]!).msg)?.[1];
  t.ok(password && password.length >= 20, 'a long generated password');
  t.match(marked[0], 'admin@lumikb.local', 'default admin email when LUMIKB_ADMIN_EMAIL is unset');
  const session = await login(app, 'admin@lumikb.local', password!);
  t.equal(session.user.permission_level, 3, 'the generated password signs the administrator in');
  await app.close();

  const second = capturingLogger();
  const again = await start(t, env, second.logger);
  t.notOk(
    second.lines.some((l) => l.includes('FIRST ADMINISTRATOR') || l.includes(password!)),
    'a restart with an administrator creates nobody and logs no password',
  );
  const users = await again.inject({
    method: 'GET',
    url: '/api/v1/admin/users',
    headers: bearer((await login(again, 'admin@lumikb.local', password!)).access_token),
  });
  t.equal(users.json().total, 1, 'still exactly one user');
});

t.test('LUMIKB_ADMIN_EMAIL/LUMIKB_ADMIN_PASSWORD create the first admin without logging the password', async (t) => {
  const env = {
    ...(await platformEnv(t)),
    LUMIKB_ADMIN_EMAIL: 'boss@company.local',
    LUMIKB_ADMIN_PASSWORD: 'Configured-pass-2024',
  };
  const { logger, lines } = capturingLogger();
  const app = await start(t, env, logger);
  t.notOk(lines.join('\n').includes('Configured-pass-2024'), 'the configured password is never logged');
  t.ok(
    lines.some((l) => l.includes('first administrator created')),
    'the creation itself is logged',
  );
  const session = await login(app, 'boss@company.local', 'Configured-pass-2024');
  t.match(session.user, { permission_level: 3, email: 'boss@company.local' });
  t.same(session.user.groups.map((g) => g.name).sort(), ['Administrators', 'Users']);
});

t.test('a weak LUMIKB_ADMIN_PASSWORD or a mismatched key pair stops the start with a clear message', async (t) => {
  const env = await platformEnv(t);
  const { logger } = capturingLogger();
  await t.rejects(start(t, { ...env, LUMIKB_ADMIN_PASSWORD: 'weak' }, logger), /LUMIKB_ADMIN_PASSWORD .*Rule:/);
  const other = generateSigningKeys();
  await t.rejects(
    start(t, { ...env, JWT_PRIVATE_KEY: other.privateKey }, logger),
    /JWT_PRIVATE_KEY does not match JWT_PUBLIC_KEY/,
  );
  t.throws(() => readConfig({ ...env, SERVICE_CLIENT_SECRET: 'short' }), /SERVICE_CLIENT_SECRET=\[redacted\]/);
  t.throws(() => readConfig({ ...env, JWT_PRIVATE_KEY: '' }), /JWT_PRIVATE_KEY is required/);
});
