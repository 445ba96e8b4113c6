/** How a message that breaks its contract is described, the same in every log line that says so. */

interface HasErrors {
  Errors(value: unknown): Iterable<{ instancePath: string; message: string }>;
}

/** `/data/id must be string`, one per problem (the first `limit`). */
export function contractProblems(validator: HasErrors, value: unknown, limit = 20): string[] {
  return [...validator.Errors(value)].slice(0, limit).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
