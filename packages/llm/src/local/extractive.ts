/**
 * The built-in answerer: no language model, it quotes the sentences of the retrieved
 * passages that best match the question, each with its passage's citation marker, and
 * says plainly that this is what it did.
 */
import type { Passage } from '../types.ts';
import { cosine, hashEmbed, isStopword, tokenize } from './embedder.ts';

export const EXTRACTIVE_NOTICE =
  "Extractive answer: LumiKB's built-in answerer quoted the most relevant sentences from the sources; no language model (LLM) was used.";

export const NO_PASSAGES_ANSWER =
  'I found no passages in the knowledge base that relate to this question, so I cannot answer it from the sources.';

interface Candidate {
  text: string;
  citation: string;
  passage: number;
  position: number;
  score: number;
  vector: number[];
}

const MAX_SENTENCES = 4;
const MAX_SENTENCE_WORDS = 60;

function stem(word: string): string {
  if (word.length <= 4) return word;
  for (const suffix of ['ations', 'ation', 'ings', 'ing', 'ies', 'ed', 'es', 'ly', 's']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  }
  return word;
}

function contentTerms(text: string): Set<string> {
  return new Set(
    tokenize(text)
      .filter((w) => !isStopword(w))
      .map(stem),
  );
}

export function splitSentences(text: string): string[] {
  return text
    .split(/\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)/u)
    .flatMap((block) => block.replace(/\s+/g, ' ').split(/(?<=[.!?。！？])\s+(?=["'“([]?[\p{Lu}\p{N}])/u))
    .map((s) => s.trim().replace(/^(?:[-*•]|\d+[.)])\s+/u, ''))
    .filter((s) => tokenize(s).length >= 2);
}

function clip(sentence: string): string {
  const words = sentence.split(' ');
  return words.length > MAX_SENTENCE_WORDS ? `${words.slice(0, MAX_SENTENCE_WORDS).join(' ')} …` : sentence;
}

/** The answer text for `question` from `passages` (empty passages → a clear "cannot answer"). */
export function extractiveAnswer(question: string, passages: readonly Passage[], options: { maxWords?: number } = {}) {
  if (passages.length === 0)
    return { text: `${NO_PASSAGES_ANSWER}\n\n${EXTRACTIVE_NOTICE}`, citations: [] as string[] };
  const maxWords = options.maxWords ?? 220;
  const queryTerms = contentTerms(question);
  const queryVector = hashEmbed(question);
  const topScore = Math.max(...passages.map((p) => p.score ?? 0), 0);

  const candidates: Candidate[] = [];
  passages.forEach((passage, p) => {
    splitSentences(passage.text).forEach((sentence, position) => {
      const terms = contentTerms(sentence);
      let shared = 0;
      for (const term of queryTerms) if (terms.has(term)) shared++;
      const overlap = queryTerms.size > 0 ? shared / queryTerms.size : 0;
      const vector = hashEmbed(sentence);
      const similarity = cosine(queryVector, vector);
      const retrieval = topScore > 0 ? (passage.score ?? 0) / topScore : 0;
      candidates.push({
        text: clip(sentence),
        citation: passage.citation,
        passage: p,
        position,
        score: 0.6 * overlap + 0.35 * similarity + 0.05 * retrieval - 0.001 * position,
        vector,
      });
    });
  });

  const relevant = candidates.filter((c) => c.score > 0.12).sort((a, b) => b.score - a.score);
  const chosen: Candidate[] = [];
  let words = 0;
  for (const candidate of relevant) {
    if (chosen.length >= MAX_SENTENCES) break;
    if (chosen.some((c) => cosine(c.vector, candidate.vector) > 0.9)) continue;
    const length = candidate.text.split(' ').length;
    if (chosen.length > 0 && words + length > maxWords) continue;
    chosen.push(candidate);
    words += length;
  }

  if (chosen.length === 0) {
    const first = passages[0] as Passage;
    const opening = splitSentences(first.text)[0] ?? first.text.trim();
    return {
      text: `None of the retrieved passages clearly answers this question. The closest passage says: "${clip(opening)}" ${first.citation}\n\n${EXTRACTIVE_NOTICE}`,
      citations: [first.citation],
    };
  }
  const body = chosen.map((c) => `${c.text} ${c.citation}`).join(' ');
  return {
    text: `According to the sources: ${body}\n\n${EXTRACTIVE_NOTICE}`,
    citations: [...new Set(chosen.map((c) => c.citation))],
  };
}

/** Splits text into streamable tokens (each word with its following whitespace). */
export function toTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
