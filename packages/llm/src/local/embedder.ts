/**
 * The built-in embedder: feature hashing of lowercase word unigrams and bigrams and of
 * character 3-grams into a fixed number of buckets, with a hash-derived sign so that
 * collisions cancel out rather than pile up, then L2-normalised. Deterministic (same
 * text → same vector on every machine and release), dependency-free and fast.
 *
 * It captures lexical, not semantic, similarity: good enough for a platform that must
 * work with no AI service at all; a real embedding model is better.
 */
import { LOCAL_EMBEDDING_MODEL } from './constants.ts';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Frequent English function words weigh little: they match everything. */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can do does for from had has have how i if in into is it its ' +
    'me my no not of on or our so than that the their them then there these they this those to ' +
    'us was we were what when where which who whom why will with would you your'
  ).split(' '),
);

const WEIGHT = { unigram: 1, stopword: 0.15, bigram: 0.6, trigram: 0.25 } as const;

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser for avalanche. */
function hash(feature: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < feature.length; i++) {
    h ^= feature.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function add(vector: Float64Array, feature: string, weight: number): void {
  const bucket = hash(feature, 0) % vector.length;
  const sign = hash(feature, 0x9e3779b9) & 1 ? 1 : -1;
  vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
}

/** Embeds one text into `dimensions` floats with unit L2 norm. */
export function hashEmbed(text: string, dimensions: number = LOCAL_EMBEDDING_MODEL.dimensions): number[] {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer`);
  const vector = new Float64Array(dimensions);
  const words = tokenize(text);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const stop = STOPWORDS.has(word);
    add(vector, `w:${word}`, stop ? WEIGHT.stopword : WEIGHT.unigram);
    const next = words[i + 1];
    if (next !== undefined && !(stop && STOPWORDS.has(next))) add(vector, `b:${word} ${next}`, WEIGHT.bigram);
    if (!stop) {
      const padded = `#${word}#`;
      for (let j = 0; j + 3 <= padded.length; j++) add(vector, `c:${padded.slice(j, j + 3)}`, WEIGHT.trigram);
    }
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += (vector[i] as number) ** 2;
  if (norm === 0) {
    // A text with no words still needs a valid unit vector (cosine of a zero vector is
    // undefined in vector stores); all such texts share it.
    const out = new Array<number>(dimensions).fill(0);
    out[hash('<empty>', 0) % dimensions] = 1;
    return out;
  }
  const inv = 1 / Math.sqrt(norm);
  const out = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = (vector[i] as number) * inv;
  return out;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}
