/**
 * The Cranfield collection (bench/data/cranfield, see its README and ORIGIN.md): parsing,
 * the plain BM25 baseline exactly as that README defines it, and the ranking metrics
 * (nDCG@10, MAP@100, Recall@100, MRR@10) over the 225 judged queries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '..', 'data', 'cranfield');

export interface CranDoc {
  id: number;
  title: string;
  /** The `.W` field, which opens with the title. */
  text: string;
}

export interface CranQuery {
  /** 1..225 in file order (the judgements' numbering). */
  number: number;
  text: string;
}

/** query number → (document id → relevance code 1..4); code −1 (the query's own source) is not relevant. */
export type Judgements = Map<number, Map<number, number>>;

function fields(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key = '';
  for (const line of block.split('\n')) {
    const m = /^\.([TABW])\s*$/.exec(line);
    if (m) {
      key = m[1]!;
      out[key] = '';
      continue;
    }
    if (key) out[key] += `${line}\n`;
  }
  return out;
}

export function loadCranfield(): { docs: CranDoc[]; queries: CranQuery[]; qrels: Judgements } {
  const all = readFileSync(join(DIR, 'cran.all.1400'), 'utf8');
  const docs: CranDoc[] = [];
  for (const block of all.split(/^\.I /m).slice(1)) {
    const nl = block.indexOf('\n');
    const id = Number(block.slice(0, nl).trim());
    const f = fields(block.slice(nl + 1));
    docs.push({ id, title: (f.T ?? '').trim(), text: (f.W ?? '').trim() });
  }
  const qry = readFileSync(join(DIR, 'cran.qry'), 'utf8');
  const queries: CranQuery[] = qry
    .split(/^\.I /m)
    .slice(1)
    .map((block, i) => {
      const f = fields(block.slice(block.indexOf('\n') + 1));
      return { number: i + 1, text: (f.W ?? '').replace(/\s+/g, ' ').trim() };
    });
  const qrels: Judgements = new Map();
  for (const line of readFileSync(join(DIR, 'cranqrel'), 'utf8').split('\n')) {
    const [q, d, code] = line.trim().split(/\s+/).map(Number);
    if (!q || !d || code === undefined || Number.isNaN(code)) continue;
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, code);
  }
  return { docs, queries, qrels };
}

const STOP = new Set(
  readFileSync(join(DIR, 'stopwords.txt'), 'utf8')
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

function baselineTokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((t) => !STOP.has(t));
}

/** The README's plain BM25: k1 1.2, b 0.75, `[a-z0-9]+` tokens minus its stop words, no stemming. */
export function baselineBm25(docs: CranDoc[]): (query: string, limit: number) => number[] {
  const indexed = docs.filter((d) => d.text.length > 0);
  const k1 = 1.2;
  const b = 0.75;
  const postings = new Map<string, { doc: number; tf: number }[]>();
  const lengths = new Map<number, number>();
  for (const d of indexed) {
    const tokens = baselineTokens(d.text);
    lengths.set(d.id, tokens.length);
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      if (!postings.has(t)) postings.set(t, []);
      postings.get(t)!.push({ doc: d.id, tf: n });
    }
  }
  const n = indexed.length;
  const avg = [...lengths.values()].reduce((a, x) => a + x, 0) / n;
  return (query, limit) => {
    const scores = new Map<number, number>();
    for (const term of baselineTokens(query)) {
      const list = postings.get(term);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const { doc, tf } of list) {
        const dl = lengths.get(doc)!;
        const s = (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * dl) / avg));
        scores.set(doc, (scores.get(doc) ?? 0) + s);
      }
    }
    return [...scores.entries()]
      .sort((a, b2) => b2[1] - a[1] || a[0] - b2[0])
      .slice(0, limit)
      .map(([doc]) => doc);
  };
}

const GAIN: Record<number, number> = { 1: 3, 2: 2, 3: 1, 4: 0.5 };

export interface Metrics {
  ndcg10: number;
  map100: number;
  recall100: number;
  mrr10: number;
}

/** Mean metrics over every judged query; `ranked` maps query number → ranked document ids. */
export function evaluate(qrels: Judgements, ranked: Map<number, number[]>, queryCount: number): Metrics {
  let ndcg = 0;
  let map = 0;
  let recall = 0;
  let mrr = 0;
  for (let q = 1; q <= queryCount; q++) {
    const judged = qrels.get(q) ?? new Map<number, number>();
    const list = ranked.get(q) ?? [];
    const gain = (d: number) => GAIN[judged.get(d) ?? 0] ?? 0;
    const relevant = [...judged.entries()].filter(([, c]) => c >= 1 && c <= 4).map(([d]) => d);
    const relevantSet = new Set(relevant);
    let dcg = 0;
    list.slice(0, 10).forEach((d, i) => {
      dcg += gain(d) / Math.log2(i + 2);
    });
    const ideal = relevant
      .map(gain)
      .sort((a, b) => b - a)
      .slice(0, 10)
      .reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
    ndcg += ideal > 0 ? dcg / ideal : 0;
    let hits = 0;
    let ap = 0;
    list.slice(0, 100).forEach((d, i) => {
      if (relevantSet.has(d)) {
        hits++;
        ap += hits / (i + 1);
      }
    });
    map += relevant.length > 0 ? ap / relevant.length : 0;
    recall += relevant.length > 0 ? hits / relevant.length : 0;
    const first = list.slice(0, 10).findIndex((d) => relevantSet.has(d));
    mrr += first >= 0 ? 1 / (first + 1) : 0;
  }
  return {
    ndcg10: ndcg / queryCount,
    map100: map / queryCount,
    recall100: recall / queryCount,
    mrr10: mrr / queryCount,
  };
}
