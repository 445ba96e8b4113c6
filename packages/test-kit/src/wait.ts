/** What a probe answers while its condition does not hold yet. */
type NotYet = undefined | null | false | 0 | '';

/**
 * Waiting on a condition with a deadline, instead of sleeping and hoping. The condition
 * holds when the probe answers a truthy value: `0`, `''` and `null` mean "not yet", as
 * a count of rows, a text or a missing row would (a probe that needs to wait for zero
 * says so: `count === 0`).
 */
export async function waitFor<T>(
  probe: () => Promise<T | NotYet> | T | NotYet,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}
