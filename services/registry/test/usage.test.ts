import { randomUUID } from 'node:crypto';
import { KbCreated, KbDeleted, KbUpdated } from '@lumikb/contracts';
import { waitFor } from '@lumikb/test-kit';
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { client, createModel, kbSummary, ollamaEmbedding, openaiGeneration, publishEvent } from './support.ts';

t.test('models used by knowledge bases are protected, from kb.* events', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const embedder = await createModel(admin, ollamaEmbedding({ name: 'Nomic' }));
  const generator = await createModel(admin, openaiGeneration({ name: 'GPT' }));
  const kbCount = async (id: string) => (await admin.get(`/api/v1/admin/models/${id}`)).body.kb_count;

  const manuals = kbSummary({ name: 'Manuals', embedding_model_id: embedder.id, generation_model_id: generator.id });
  const policies = kbSummary({ name: 'Policies', embedding_model_id: embedder.id, generation_model_id: generator.id });
  await publishEvent(test.bus, KbCreated, { kb: manuals });
  await publishEvent(test.bus, KbCreated, { kb: policies });
  await waitFor(async () => (await kbCount(embedder.id)) === 2, { what: 'the projection to see both KBs' });

  const detail = (await admin.get(`/api/v1/admin/models/${embedder.id}`)).body;
  t.match(detail.used_by, [
    { id: manuals.id, name: 'Manuals', role: 'embedding', dimensions: 768 },
    { id: policies.id, name: 'Policies', role: 'embedding' },
  ]);
  const listed = (await admin.get('/api/v1/admin/models?provider=ollama')).body.items[0];
  t.equal(listed.kb_count, 2, 'the list shows how many KBs use a model');

  const refused = await admin.delete(`/api/v1/admin/models/${embedder.id}`);
  t.equal(refused.status, 409);
  t.equal(refused.body.code, 'MODEL_IN_USE');
  t.match(refused.body.message, /Manuals, Policies/);
  t.same(
    refused.body.details.knowledge_bases.map((k: { id: string }) => k.id),
    [manuals.id, policies.id],
  );
  const generatorRefused = await admin.delete(`/api/v1/admin/models/${generator.id}`);
  t.equal(generatorRefused.body.code, 'MODEL_IN_USE', 'a generation model in use cannot be deleted either');
  t.match(generatorRefused.body.details.knowledge_bases, [{ role: 'generation' }, { role: 'generation' }]);

  for (const config of [{ dimensions: 1024 }, { distance_metric: 'dot' }]) {
    const reshaped = await admin.put(`/api/v1/admin/models/${embedder.id}`, { config });
    t.equal(reshaped.status, 409, `changing ${Object.keys(config)[0]} is refused`);
    t.equal(reshaped.body.code, 'MODEL_IN_USE');
    t.same(reshaped.body.details.fields, [`config.${Object.keys(config)[0]}`]);
  }
  const swapped = await admin.put(`/api/v1/admin/models/${embedder.id}`, { model_id: 'mxbai-embed-large' });
  t.equal(swapped.body.code, 'MODEL_IN_USE', 'swapping the underlying embedding model is refused too');
  const harmless = await admin.put(`/api/v1/admin/models/${embedder.id}`, {
    name: 'Nomic (shared)',
    config: { batch_size: 16 },
    api_endpoint: 'http://gpu-2:11434',
  });
  t.equal(harmless.status, 200, 'name, batch size and endpoint may change');
  const generatorTweak = await admin.put(`/api/v1/admin/models/${generator.id}`, {
    config: { max_output_tokens: 1024 },
  });
  t.equal(generatorTweak.status, 200, 'generation models in use can be re-tuned');
  t.equal((await admin.get(`/api/v1/admin/models/${embedder.id}`)).body.config.dimensions, 768, 'nothing leaked');

  // Manuals moves to another embedding model; Policies is deleted.
  const other = await createModel(admin, ollamaEmbedding({ name: 'Other' }));
  await publishEvent(test.bus, KbUpdated, {
    kb: { ...manuals, embedding_model_id: other.id, document_count: 3 },
    changed_fields: ['embedding_model_id'],
  });
  await publishEvent(test.bus, KbDeleted, { id: policies.id });
  await waitFor(async () => (await kbCount(embedder.id)) === 0, { what: 'the KBs to let go of the model' });
  t.equal(await kbCount(other.id), 1);

  const reshaped = await admin.put(`/api/v1/admin/models/${embedder.id}`, { config: { dimensions: 1024 } });
  t.equal(reshaped.status, 200, 'an unused model may change shape');
  t.equal((await admin.delete(`/api/v1/admin/models/${embedder.id}`)).status, 204, 'and be deleted');
});

t.test('the projection survives duplicate, late and out-of-order kb events', async (t) => {
  const test = await buildTestApp(t);
  const admin = client(test.app, test.tokens.admin);
  const embedder = await createModel(admin, ollamaEmbedding());
  const generator = await createModel(admin, openaiGeneration());
  const usage = async () => (await admin.get(`/api/v1/admin/models/${embedder.id}`)).body.used_by;
  const kb = kbSummary({ embedding_model_id: embedder.id, generation_model_id: generator.id });
  const t0 = new Date(Date.now() - 60_000);
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  // Update arrives before create; a second delivery of the create's event id is ignored.
  await publishEvent(
    test.bus,
    KbUpdated,
    { kb: { ...kb, name: 'Renamed' }, changed_fields: ['name'] },
    { occurredAt: at(2) },
  );
  const created = await publishEvent(test.bus, KbCreated, { kb }, { occurredAt: at(1) });
  // Another msgId, so JetStream stores it and the consumer really sees the repeated event id.
  // Its body says newer (at 5, another name): only the event-id check can keep it out.
  await publishEvent(
    test.bus,
    KbCreated,
    { kb: { ...kb, name: 'Applied twice' } },
    { occurredAt: at(5), id: created.id, msgId: randomUUID() },
  );
  // A second KB as a marker that everything before it has been consumed.
  const marker = kbSummary({ embedding_model_id: embedder.id, generation_model_id: generator.id });
  await publishEvent(test.bus, KbCreated, { kb: marker }, { occurredAt: at(3) });
  await waitFor(async () => (await usage()).length === 2, { what: 'both KBs projected' });
  t.equal((await usage()).find((u: { id: string }) => u.id === kb.id).name, 'Renamed', 'the older create did not win');

  // Deleted, then a redelivery of its old create arrives: it stays deleted.
  await publishEvent(test.bus, KbDeleted, { id: kb.id }, { occurredAt: at(4) });
  await publishEvent(test.bus, KbCreated, { kb }, { occurredAt: at(1) });
  await publishEvent(test.bus, KbDeleted, { id: marker.id }, { occurredAt: at(6) });
  await waitFor(async () => (await usage()).length === 0, { what: 'the deletions' });
  t.same(await usage(), [], 'a deleted KB is not resurrected by a late event');
});
