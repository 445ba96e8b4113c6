/**
 * The registry's per-KB document count (its projection of kb.updated events) is exact
 * after concurrent uploads: each upload counts under a per-KB lock, so the last event
 * carries the total. Before, each counted inside its own transaction: 39 for 40.
 */
import {
  auth,
  buildTestApp as buildKb,
  createKbPlatform,
  multipart,
  seedDefaultModels,
} from '@lumikb/knowledge-base/testing';
import { buildTestApp as buildRegistry, REGISTRY_SCHEMA, REGISTRY_STREAMS } from '@lumikb/registry/testing';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';

const UPLOADS = 40;

t.test(`${UPLOADS} concurrent uploads → the registry counts ${UPLOADS} documents`, async (t) => {
  const platform = await createKbPlatform(t, { extraSchemas: [REGISTRY_SCHEMA], extraStreams: REGISTRY_STREAMS });
  const kb = await buildKb(t, {}, { platform });
  const registry = await buildRegistry(t, {}, { platform });
  await seedDefaultModels(kb);
  const created = await kb.app.inject({
    method: 'POST',
    url: '/api/v1/knowledge-bases',
    headers: auth(platform.tokens.operator),
    payload: { name: 'Concurrent uploads' },
  });
  t.equal(created.statusCode, 201);
  const kbId = created.json().id as string;

  const statuses = await Promise.all(
    Array.from({ length: UPLOADS }, async (_, i) => {
      const body = multipart(`note-${i}.txt`, `Note number ${i}: distinct content for upload ${i}.`);
      // As a client should: a 503 says "retry", and the Idempotency-Key makes the retry
      // safe (a busy machine can keep 40 uploads waiting on the per-KB lock past the
      // connection budget; the count must be exact either way).
      const headers = { ...auth(platform.tokens.operator), ...body.headers, 'idempotency-key': `count-${kbId}-${i}` };
      for (let attempt = 1; ; attempt++) {
        const res = await kb.app.inject({
          method: 'POST',
          url: `/api/v1/knowledge-bases/${kbId}/documents`,
          headers,
          payload: body.payload,
        });
        if (res.statusCode !== 503 || attempt === 5) return res.statusCode;
        const wait = Number(res.headers['retry-after'] ?? 1);
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5) * 1000));
      }
    }),
  );
  t.same(
    statuses.filter((s) => s !== 201),
    [],
    'every upload is accepted',
  );

  const projected = () =>
    registry.deps.db.db.selectFrom('kb_usage').select('document_count').where('kb_id', '=', kbId).executeTakeFirst();
  const settled = await waitFor(
    async () => {
      const row = await projected();
      return row?.document_count === UPLOADS ? row : undefined;
    },
    { what: `the registry's count of KB ${kbId} to reach ${UPLOADS}`, timeoutMs: 20_000 },
  ).catch(async () => projected());
  t.equal(settled?.document_count, UPLOADS, `the registry counts ${UPLOADS} documents`);
});
