/**
 * Issue 18: the web app's generated API client (web/src/api/schema.gen.ts) matches what the
 * running services describe today. A route or schema changed without regenerating fails
 * here, with the command that fixes it. It runs against the suite's own stack, so it costs
 * one request and one generation, not a second platform.
 */
import { readFileSync } from 'node:fs';
import { API_TYPES_FILE, isComplete, renderApiTypes } from '../../web/scripts/api-types.ts';
import { expect, test } from '../fixtures/test.ts';

test('the generated API client matches the services’ OpenAPI document', async ({ request }) => {
  let spec: Record<string, unknown> = {};
  // The gateway merges the services' documents in the background.
  await expect
    .poll(
      async () => {
        spec = (await (await request.get('/docs/json')).json()) as Record<string, unknown>;
        return spec['x-lumikb-missing-upstreams'];
      },
      { message: 'every service’s document merged', timeout: 20_000 },
    )
    .toEqual([]);
  expect(isComplete(spec)).toBe(true);
  const expected = await renderApiTypes(spec);
  const committed = readFileSync(API_TYPES_FILE, 'utf8');
  expect(
    committed === expected,
    'web/src/api/schema.gen.ts is stale: run `pnpm --filter @lumikb/web run api:types` and commit it',
  ).toBe(true);
});
