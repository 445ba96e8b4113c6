import pino, { type Logger } from 'pino';

/** Silent unless LUMIKB_TEST_LOGS=1 (then JSON logs on stderr). */
export function testLogger(service = 'test'): Logger {
  return pino(
    { level: process.env.LUMIKB_TEST_LOGS === '1' ? 'debug' : 'silent', base: { service } },
    pino.destination(2),
  );
}
