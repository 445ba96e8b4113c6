/**
 * The built-in `local` provider must never be the bottleneck of ingestion: local
 * embedder throughput (chunks/s of ~500-character chunks, through LlmRouter.embed as
 * the worker calls it, and raw), and the extractive answerer's latency. Run alone with
 * `tsx bench/llm.ts` (LLM_BENCH_CHUNKS overrides the chunk count).
 */
import { pathToFileURL } from 'node:url';
import {
  extractiveAnswer,
  hashEmbedV2,
  type LlmModel,
  LlmRouter,
  LOCAL_EMBEDDING_MODEL,
  LOCAL_GENERATION_MODEL,
} from '../packages/llm/src/index.ts';
import { ms, summarize } from './lib/stats.ts';

const WORDS = (
  'the platform stores documents in knowledge bases and splits them into chunks that are embedded and indexed ' +
  'so that search finds passages by meaning citations point back to the document page and offset users ask ' +
  'questions and receive answers grounded in the retrieved passages administrators register models and test them ' +
  'invoices contracts manuals policies reports meetings onboarding security backups retention compliance quarterly'
).split(' ');

/** Deterministic pseudo-text of about `chars` characters. */
function chunk(seed: number, chars = 500): string {
  let out = '';
  let x = seed * 2654435761;
  while (out.length < chars) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += `${WORDS[x % WORDS.length]}${x % 11 === 0 ? '. ' : ' '}`;
  }
  return out;
}

export async function benchLlm(options: { chunks?: number } = {}): Promise<Record<string, number | string>> {
  const count = options.chunks ?? Number(process.env.LLM_BENCH_CHUNKS ?? 5_000);
  const texts = Array.from({ length: count }, (_, i) => chunk(i));
  const embedding: LlmModel = {
    id: '00000000-0000-4000-8000-00000000e001',
    type: 'embedding',
    provider: 'local',
    model_id: LOCAL_EMBEDDING_MODEL.model_id,
    api_endpoint: null,
    config: { dimensions: LOCAL_EMBEDDING_MODEL.dimensions, batch_size: 64 },
  };
  const router = new LlmRouter();
  await router.embed(embedding, texts.slice(0, 200)); // warm-up

  let started = performance.now();
  for (const text of texts) hashEmbedV2(text, LOCAL_EMBEDDING_MODEL.dimensions);
  const rawSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const vectors = await router.embed(embedding, texts);
  const routedSeconds = (performance.now() - started) / 1000;
  if (vectors.length !== count) throw new Error('the router lost chunks');

  const passages = Array.from({ length: 8 }, (_, i) => ({ text: chunk(1_000 + i, 1_200), citation: `[${i + 1}]` }));
  const answerLatencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    extractiveAnswer(`what do ${WORDS[i % WORDS.length]} and ${WORDS[(i * 7) % WORDS.length]} say`, passages);
    answerLatencies.push(performance.now() - t0);
  }
  const answers = summarize(answerLatencies);

  const generation: LlmModel = {
    ...embedding,
    id: '00000000-0000-4000-8000-00000000e002',
    type: 'generation',
    model_id: LOCAL_GENERATION_MODEL.model_id,
    config: {},
  };
  const t0 = performance.now();
  let firstToken = 0;
  for await (const piece of router.generate(generation, {
    messages: [{ role: 'user', content: 'what about backups' }],
    passages,
  })) {
    if (piece.type === 'token' && firstToken === 0) firstToken = performance.now() - t0;
  }
  const whole = performance.now() - t0;

  return {
    'chunks (≈500 characters each)': count,
    'local embedder, raw (chunks/s)': Math.round(count / rawSeconds),
    'local embedder via LlmRouter.embed (chunks/s)': Math.round(count / routedSeconds),
    'extractive answer, 8 passages p50': ms(answers.p50),
    'extractive answer, 8 passages p99': ms(answers.p99),
    'streamed local answer: first token': ms(firstToken),
    'streamed local answer: complete': ms(whole),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchLlm();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
  process.exit(0);
}
