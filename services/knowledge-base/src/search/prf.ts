/**
 * Pseudo-relevance feedback for the keyword side: RM3 (relevance model 3, Lavrenko & Croft
 * 2001; Abdul-Jaleel et al. 2004), as Anserini implements it, with its default parameters:
 * the first keyword pass's top `fbDocs` passages are taken as relevant, each term of them
 * weighs Σ_D score(D)/Σscore · tf(term, D)/|D|, the `fbTerms` heaviest terms are kept,
 * L1-normalised, and mixed with the (L1-normalised) original query at `originalWeight`.
 * The second pass searches the expanded query. The passages' terms are analysed from their
 * text exactly as the index analysed them (the same `analyze`, the KB's language).
 * None of the three numbers was fitted to a collection (docs/retrieval.md).
 */
import { analyze, DEFAULT_LANGUAGE } from '@lumikb/text-analysis';
import type { LexicalQuery } from '@lumikb/vector-store';

export const RM3_DEFAULTS = { fbDocs: 10, fbTerms: 10, originalWeight: 0.5 } as const;

export interface FeedbackPassage {
  text: string;
  /** The first pass's BM25 score (positive). */
  score: number;
}

/**
 * The RM3 query from `query` (term → count) and the first pass's top passages. No usable
 * feedback (no passage, or no positive score) leaves the query as it was.
 */
export function rm3Expand(
  query: LexicalQuery,
  feedback: readonly FeedbackPassage[],
  language: string = DEFAULT_LANGUAGE,
  options: { fbDocs?: number; fbTerms?: number; originalWeight?: number } = {},
): LexicalQuery {
  const fbDocs = options.fbDocs ?? RM3_DEFAULTS.fbDocs;
  const fbTerms = options.fbTerms ?? RM3_DEFAULTS.fbTerms;
  const originalWeight = options.originalWeight ?? RM3_DEFAULTS.originalWeight;
  const docs = feedback.slice(0, fbDocs).filter((d) => Number.isFinite(d.score) && d.score > 0);
  const scoreSum = docs.reduce((sum, d) => sum + d.score, 0);
  const queryMass = Object.values(query).reduce((sum, w) => sum + w, 0);
  if (docs.length === 0 || scoreSum <= 0 || queryMass <= 0 || originalWeight >= 1) return { ...query };

  const relevance = new Map<string, number>();
  for (const doc of docs) {
    const terms = analyze(doc.text, language);
    if (terms.length === 0) continue;
    const share = doc.score / scoreSum / terms.length;
    for (const term of terms) relevance.set(term, (relevance.get(term) ?? 0) + share);
  }
  // Heaviest first; ties by term so the expansion is deterministic.
  const kept = [...relevance.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, fbTerms);
  const keptMass = kept.reduce((sum, [, w]) => sum + w, 0);
  if (keptMass <= 0) return { ...query };

  const expanded: LexicalQuery = Object.create(null);
  for (const [term, count] of Object.entries(query)) expanded[term] = (originalWeight * count) / queryMass;
  for (const [term, w] of kept) {
    expanded[term] = (expanded[term] ?? 0) + ((1 - originalWeight) * w) / keptMass;
  }
  return { ...expanded };
}
