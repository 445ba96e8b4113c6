import t from 'tap';
import { backoffDelay, retry } from '../src/index.ts';

class Transient extends Error {}
class Permanent extends Error {}
const instant = async () => {};

t.test('retries transient failures until one succeeds, with doubling waits', async (t) => {
  const waits: number[] = [];
  const seen: number[] = [];
  const result = await retry(
    {
      retries: 5,
      baseDelayMs: 100,
      jitter: 0,
      retryable: (e) => e instanceof Transient,
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
    async (n) => {
      seen.push(n);
      if (n < 3) throw new Transient(`try ${n}`);
      return 'ok';
    },
  );
  t.equal(result, 'ok');
  t.same(seen, [0, 1, 2, 3], 'attempts are numbered from 0');
  t.same(waits, [100, 200, 400], 'each wait doubles');
});

t.test('a failure that is not retryable is thrown at once', async (t) => {
  let calls = 0;
  const error = await retry({ retries: 5, retryable: (e) => e instanceof Transient, sleep: instant }, async () => {
    calls++;
    throw new Permanent('no');
  }).catch((e: unknown) => e);
  t.ok(error instanceof Permanent, 'the failure itself');
  t.equal(calls, 1);
});

t.test('the budget bounds the attempts and the last failure is thrown', async (t) => {
  let calls = 0;
  await t.rejects(
    retry({ retries: 2, sleep: instant }, async () => {
      calls++;
      throw new Transient(`failure ${calls}`);
    }),
    { message: 'failure 3' },
  );
  t.equal(calls, 3, 'one attempt and two retries');
});

t.test("the server's Retry-After wins, and one longer than the longest wait is an answer", async (t) => {
  const waits: number[] = [];
  let calls = 0;
  await retry(
    {
      retries: 3,
      serverDelayMs: () => 1_234,
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
    async () => {
      if (++calls < 2) throw new Transient('429');
      return 'ok';
    },
  );
  t.same(waits, [1_234]);

  calls = 0;
  await t.rejects(
    retry({ retries: 3, maxDelayMs: 1_000, serverDelayMs: () => 60_000, sleep: instant }, async () => {
      calls++;
      throw new Transient('429, come back in a minute');
    }),
    { message: /come back/ },
  );
  t.equal(calls, 1, 'no retry when the server asks for more than we wait');
});

t.test('an aborted signal ends the wait and the retries', async (t) => {
  const controller = new AbortController();
  let calls = 0;
  const run = retry(
    {
      retries: 10,
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('shutting down')),
    },
    async () => {
      calls++;
      throw new Transient('down');
    },
  );
  await t.rejects(run, { message: 'shutting down' }, 'the minute-long wait ends at once');
  t.equal(calls, 1);

  let afterAbort = 0;
  await t.rejects(
    retry({ retries: 10, signal: controller.signal, sleep: instant }, async () => {
      afterAbort++;
      throw new Transient('still down');
    }),
    { message: 'still down' },
    'already aborted: the failure is thrown, no retry',
  );
  t.equal(afterAbort, 1);
});

t.test('backoffDelay: doubling, capped, jittered within its spread', async (t) => {
  t.equal(backoffDelay(1, { baseDelayMs: 200, jitter: 0 }), 200);
  t.equal(backoffDelay(4, { baseDelayMs: 200, jitter: 0 }), 1_600);
  t.equal(backoffDelay(30, { baseDelayMs: 200, maxDelayMs: 5_000, jitter: 0 }), 5_000);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(1, { baseDelayMs: 1_000, jitter: 0.2 });
    t.ok(d >= 800 && d <= 1_200, `${d} within 800–1200`);
  }
});
