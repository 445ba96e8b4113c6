/**
 * The built-in embedders. `hashEmbed` is `lumikb-hash-embed-v1` (unchanged, for KBs embedded
 * with it); `hashEmbedV2` is `lumikb-hash-embed-v2`, the default of new installs (below).
 *
 * v1: feature hashing of lowercase word unigrams and bigrams and of
 * character 3-grams into a fixed number of buckets, with a hash-derived sign so that
 * collisions cancel out rather than pile up, then L2-normalised. Deterministic (same
 * text → same vector on every machine and release), dependency-free and fast.
 *
 * It captures lexical, not semantic, similarity: good enough for a platform that must
 * work with no AI service at all; a real embedding model is better.
 */
import { analyze } from '@lumikb/text-analysis';
import { LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL_V1, localEmbeddingModel } from './constants.ts';

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
export function hashEmbed(text: string, dimensions: number = LOCAL_EMBEDDING_MODEL_V1.dimensions): number[] {
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
  return unit(vector);
}

/** `vector` scaled to unit L2 norm; the zero vector becomes one fixed unit vector. */
function unit(vector: Float64Array): number[] {
  const dimensions = vector.length;
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

/** v2: each feature goes to this many signed buckets (independent hashes), each with weight 1/√PROBES. */
const V2_PROBES = 2;
/** v2: a term's character 3-grams together weigh this share of the term (v1's trigram weight). */
const V2_SUBWORD_WEIGHT = 0.25;

function addProbes(vector: Float64Array, feature: string, weight: number): void {
  const w = weight / Math.sqrt(V2_PROBES);
  for (let p = 0; p < V2_PROBES; p++) {
    const h = hash(feature, Math.imul(p + 1, 0x9e3779b9));
    const bucket = h % vector.length;
    vector[bucket] = (vector[bucket] as number) + (h & 0x80000000 ? w : -w);
  }
}

/**
 * v2 (`lumikb-hash-embed-v2`, 1,024 dimensions by default), the vector-space model of SMART's
 * `lnc` weighting (Salton & Buckley 1988) hashed into a dense vector:
 * - features are the text's analysed terms from `@lumikb/text-analysis` in English (the
 *   keyword index's analysis: stop words removed, Snowball stems, identifiers kept whole as
 *   well as split), so "resetting" and "reset" share a feature and "the" weighs nothing;
 * - each distinct term weighs 1 + ln(tf) (sublinear TF: the tenth repetition of a word adds
 *   far less than the first);
 * - each term's character 3-grams (with `#` word boundaries, fastText-style subwords)
 *   together add a quarter of the term's weight, so misspellings and unstemmed variants
 *   still overlap;
 * - feature hashing with a hash-derived sign (Weinberger et al. 2009) into more buckets
 *   than v1 and two independent probes per feature, so one collision no longer decides a
 *   rank; then L2-normalised (cosine = dot product).
 * There is no IDF: an embedder sees one text at a time. Deterministic across machines.
 */
export function hashEmbedV2(text: string, dimensions: number = LOCAL_EMBEDDING_MODEL.dimensions): number[] {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer`);
  const vector = new Float64Array(dimensions);
  const tf = new Map<string, number>();
  for (const term of analyze(text, 'english')) tf.set(term, (tf.get(term) ?? 0) + 1);
  for (const [term, n] of tf) {
    const weight = 1 + Math.log(n);
    addProbes(vector, `w:${term}`, weight);
    const padded = `#${term}#`;
    const grams = Math.max(1, padded.length - 2);
    const share = (V2_SUBWORD_WEIGHT * weight) / Math.sqrt(grams);
    for (let j = 0; j + 3 <= padded.length; j++) addProbes(vector, `c:${padded.slice(j, j + 3)}`, share);
  }
  return unit(vector);
}

/** The embedding function of the built-in model `modelId` (v1 for an unknown id). */
export function localEmbed(modelId: string, text: string, dimensions?: number): number[] {
  const model = localEmbeddingModel(modelId);
  const dims = dimensions ?? model.dimensions;
  return model.model_id === LOCAL_EMBEDDING_MODEL.model_id ? hashEmbedV2(text, dims) : hashEmbed(text, dims);
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
