import t from 'tap';
import { waitFor } from '../src/wait.ts';

t.test('waitFor returns the first truthy answer of the probe', async (t) => {
  const answers: unknown[] = [undefined, null, false, 0, '', { id: 'row' }];
  let calls = 0;
  const found = await waitFor(() => answers[calls++] as { id: string } | undefined, { intervalMs: 1 });
  t.same(found, { id: 'row' });
  t.equal(calls, answers.length, 'undefined, null, false, 0 and "" all meant "not yet"');
});

t.test('waitFor times out naming what it waited for and the last error', async (t) => {
  await t.rejects(
    waitFor(() => 0, { timeoutMs: 30, intervalMs: 5, what: 'zero rows to become one' }),
    {
      message: 'timed out waiting for zero rows to become one',
    },
  );
  await t.rejects(
    waitFor(
      () => {
        throw new Error('not reachable yet');
      },
      { timeoutMs: 30, intervalMs: 5 },
    ),
    { message: 'timed out waiting for condition (last error: not reachable yet)' },
  );
});
