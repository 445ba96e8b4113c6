import t from 'tap';
import { Type } from 'typebox';
import { CommonConfigSchema, ConfigError, InfraConfigSchema, loadConfig, portVariable } from '../src/index.ts';

const Schema = Type.Object({ ...CommonConfigSchema, ...InfraConfigSchema, PORT: portVariable(8081) });

t.test('every missing and invalid variable is reported at once, secrets redacted', async (t) => {
  const error = t.throws(() =>
    loadConfig('auth', Schema, { PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_PUBLIC_KEY: '' }),
  ) as ConfigError;
  t.ok(error instanceof ConfigError);
  const text = error.message;
  t.match(text, /PORT="eighty" is invalid/);
  t.match(text, /DATABASE_URL="mysql:\/\/x" is invalid/);
  t.match(text, /NATS_URL is required/);
  t.match(text, /JWT_PUBLIC_KEY is required/);
  t.equal(error.problems.length, 4);
});

t.test('values are converted and defaults applied', async (t) => {
  const config = loadConfig('auth', Schema, {
    DATABASE_URL: 'postgres://postgres@127.0.0.1/lumikb',
    NATS_URL: 'nats://127.0.0.1:4222',
    JWT_PUBLIC_KEY: 'pem',
    PORT: '9001',
  });
  t.equal(config.PORT, 9001);
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.NATS_PREFIX, '');
});

t.test('a secret-looking variable is never echoed', async (t) => {
  const S = Type.Object({ API_KEY_SECRET: Type.String({ minLength: 32 }) });
  const error = t.throws(() => loadConfig('x', S, { API_KEY_SECRET: 'short-but-secret' })) as Error;
  t.notMatch(error.message, /short-but-secret/);
  t.match(error.message, /API_KEY_SECRET=\[redacted\] is invalid/);
});
