/** Keyword-search terms of a chunk, computed where its point is built (docs/retrieval.md). */
import { termFrequencies } from '@lumikb/text-analysis';
import type { LexicalTerms } from '@lumikb/vector-store';

/**
 * The chunk's BM25 terms and length in the KB's language, analysed exactly as queries are
 * (the same `analyze`), so both sides agree; the vector store adds the collection statistics.
 * An unknown or absent language (a KB service older than the setting) analyses as english.
 */
export function lexicalTerms(text: string, language: string | undefined): LexicalTerms {
  const { tf, length } = termFrequencies(text, language);
  return { terms: Object.fromEntries(tf), length };
}
