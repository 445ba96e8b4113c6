import t from 'tap';
import {
  cosine,
  EXTRACTIVE_NOTICE,
  extractiveAnswer,
  type GenerateChunk,
  hashEmbed,
  type LlmModel,
  LlmRouter,
  LOCAL_EMBEDDING_MODEL,
  LOCAL_GENERATION_MODEL,
} from '../src/index.ts';

const embedding: LlmModel = {
  id: '00000000-0000-4000-8000-000000000001',
  type: 'embedding',
  provider: 'local',
  model_id: LOCAL_EMBEDDING_MODEL.model_id,
  api_endpoint: null,
  config: { dimensions: 384, batch_size: 64 },
};
const generation: LlmModel = {
  id: '00000000-0000-4000-8000-000000000002',
  type: 'generation',
  provider: 'local',
  model_id: LOCAL_GENERATION_MODEL.model_id,
  api_endpoint: null,
  config: {},
};

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

t.test('the hashing embedder is deterministic, L2-normalised and sized as asked', async (t) => {
  const text = 'Invoices are approved by the finance team within five working days.';
  const a = hashEmbed(text);
  const b = hashEmbed(text);
  t.same(a, b, 'same text, same vector');
  t.equal(a.length, 384);
  t.ok(Math.abs(norm(a) - 1) < 1e-9, 'unit length');
  t.equal(hashEmbed(text, 1024).length, 1024);
  t.ok(Math.abs(norm(hashEmbed('', 64)) - 1) < 1e-9, 'an empty text still gets a valid unit vector');
  t.ok(Math.abs(norm(hashEmbed('!!! ...', 64)) - 1) < 1e-9, 'punctuation only, too');
  // Accented words are words: they move the vector away from the empty text's, and the
  // accents are kept (résumé is not resume).
  t.notSame(hashEmbed('Résumé ÉCOLE', 32), hashEmbed('', 32), 'unicode words embed');
  t.same(hashEmbed('Résumé ÉCOLE', 32), hashEmbed('résumé école', 32), 'lowercased across unicode');
  t.notSame(hashEmbed('résumé', 32), hashEmbed('resume', 32), 'accents are not stripped');
  t.same(hashEmbed('The Cat'), hashEmbed('the cat'), 'lowercased');
  // A pinned value catches accidental changes to the hashing (stored vectors would all go stale).
  t.equal(
    hashEmbed('lumikb', 8)
      .map((x) => x.toFixed(4))
      .join(','),
    '0.1826,0.1826,0.1826,0.0000,0.1826,0.0000,-0.1826,-0.9129',
  );
});

t.test('similar texts are closer than unrelated ones', async (t) => {
  const query = hashEmbed('How do I reset my password?');
  const related = hashEmbed('To reset your password, open Settings and choose "Reset password".');
  const morph = hashEmbed('Password resetting is done from the settings page.');
  const unrelated = hashEmbed('The quarterly revenue grew by twelve percent in Europe.');
  t.ok(cosine(query, related) > cosine(query, unrelated) + 0.2, 'shared words count');
  t.ok(cosine(query, morph) > cosine(query, unrelated), 'character n-grams catch word forms');
  t.ok(cosine(query, unrelated) < 0.2, 'unrelated texts are near orthogonal');
});

// The embedder's speed is a figure, not an assertion: `pnpm bench ingestion` prints it
// (chunks/s of the built-in embedder alone) beside the pipeline's own rate.

t.test(
  'the extractive answer quotes the relevant sentences with their citations and says it is not an LLM',
  async (t) => {
    const passages = [
      {
        text: 'Our office is in Berlin. Expense reports must be submitted within 30 days of the purchase. Late reports need a manager approval.',
        citation: '[1]',
        score: 0.8,
      },
      { text: 'The cafeteria opens at 8 am. It serves vegetarian food daily.', citation: '[2]', score: 0.3 },
      { text: 'Receipts for expense reports are uploaded in the finance portal.', citation: '[3]', score: 0.6 },
    ];
    const answer = extractiveAnswer('When must expense reports be submitted?', passages);
    t.match(answer.text, /Expense reports must be submitted within 30 days of the purchase\. \[1\]/);
    t.notMatch(answer.text, /cafeteria/, 'irrelevant passages are left out');
    t.match(answer.text, EXTRACTIVE_NOTICE);
    t.match(answer.text, /no language model/);
    t.ok(answer.citations.includes('[1]'));

    const none = extractiveAnswer('What is the capital of France?', []);
    t.match(none.text, /no passages/i);
    t.match(none.text, EXTRACTIVE_NOTICE);

    const unrelated = extractiveAnswer('quantum chromodynamics lattice', [passages[1]!]);
    t.match(unrelated.text, /^The documents do not contain an answer to this question/);
    t.notMatch(unrelated.text, /cafeteria|\[2\]/, 'and quotes nothing');
  },
);

t.test('the router runs local models in-process: embeddings in order, answers streamed as tokens', async (t) => {
  const router = new LlmRouter();
  const texts = Array.from({ length: 150 }, (_, i) => `chunk number ${i}`);
  const vectors = await router.embed(embedding, texts);
  t.equal(vectors.length, 150);
  t.same(vectors[42], hashEmbed('chunk number 42', 384), 'order preserved across batches');
  t.same(await router.embed(embedding, []), []);

  const custom = await router.embed({ ...embedding, config: { dimensions: 128 } }, ['x']);
  t.equal(custom[0]?.length, 128, 'config.dimensions decides the size');

  const chunks: GenerateChunk[] = [];
  for await (const chunk of router.generate(generation, {
    messages: [{ role: 'user', content: 'How long is the warranty?' }],
    passages: [{ text: 'The warranty lasts two years from delivery.', citation: '[1]' }],
  })) {
    chunks.push(chunk);
  }
  const tokens = chunks.filter((c) => c.type === 'token');
  t.ok(tokens.length > 10, 'many tokens, not one blob');
  const text = tokens.map((c) => (c.type === 'token' ? c.text : '')).join('');
  t.match(text, /The warranty lasts two years from delivery\. \[1\]/);
  t.match(chunks.at(-1), { type: 'done', model_id: generation.id, fallback_used: false, finish_reason: 'stop' });

  const limited: GenerateChunk[] = [];
  for await (const chunk of router.generate(generation, {
    messages: [{ role: 'user', content: 'warranty?' }],
    passages: [{ text: 'The warranty lasts two years from delivery.', citation: '[1]' }],
    max_tokens: 3,
  })) {
    limited.push(chunk);
  }
  t.equal(limited.filter((c) => c.type === 'token').length, 3);
  t.match(limited.at(-1), { type: 'done', finish_reason: 'length' });
});

t.test('models of the wrong type are refused clearly', async (t) => {
  const router = new LlmRouter();
  await t.rejects(router.embed(generation, ['x']), { kind: 'bad_request', message: /not an embedding model/ });
  await t.rejects(async () => {
    for await (const _ of router.generate(embedding, { messages: [] })) {
      // nothing
    }
  }, /not a generation model/);
});
