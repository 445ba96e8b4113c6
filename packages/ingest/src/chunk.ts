/**
 * Splits extracted text into overlapping chunks of at most `chunkSize` characters,
 * breaking at the best boundary available (paragraph, line, sentence, word). Every chunk
 * is exactly `text.slice(start, end)`, so citations can point into the original text.
 */
import { ParseLimitError } from './limits.ts';

export interface Chunk {
  index: number;
  /** Character offset (UTF-16 code units, as JavaScript strings index) of the first character. */
  start: number;
  /** Offset one past the last character. */
  end: number;
  text: string;
}

export interface ChunkOptions {
  chunkSize: number;
  chunkOverlap: number;
  /** More chunks than this throws `ParseLimitError` as soon as the limit is passed. */
  maxChunks?: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { chunkSize: 1000, chunkOverlap: 200 };

const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f';

/** End of the best break in (min, max]: the position right after the separator. */
function bestBreak(text: string, min: number, max: number): number {
  const window = text.slice(min, max);
  for (const separator of ['\n\n', '\n']) {
    const at = window.lastIndexOf(separator);
    if (at >= 0) return min + at + separator.length;
  }
  const sentence = /[.!?;:](?=\s)/g;
  let last = -1;
  for (let m = sentence.exec(window); m; m = sentence.exec(window)) last = m.index + 1;
  if (last > 0) return min + last;
  for (let i = window.length - 1; i > 0; i--) if (isSpace(window[i])) return min + i + 1;
  return max;
}

export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Chunk[] {
  const { chunkSize, chunkOverlap, maxChunks = Number.POSITIVE_INFINITY } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
  if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize) {
    throw new RangeError('chunkOverlap must be an integer in [0, chunkSize)');
  }
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < text.length) {
    while (start < text.length && isSpace(text[start])) start++;
    if (start >= text.length) break;
    let end = Math.min(start + chunkSize, text.length);
    if (end < text.length) end = bestBreak(text, start + Math.floor(chunkSize / 2), end);
    let trimmed = end;
    while (trimmed > start && isSpace(text[trimmed - 1])) trimmed--;
    if (chunks.length >= maxChunks)
      throw new ParseLimitError('chunks', chunks.length + 1, maxChunks, { atLeast: true });
    chunks.push({ index: chunks.length, start, end: trimmed, text: text.slice(start, trimmed) });
    if (end >= text.length) break;
    let next = trimmed - chunkOverlap;
    if (next <= start) next = end;
    else if (chunkOverlap > 0 && !isSpace(text[next - 1])) {
      // Start the overlap at a word boundary rather than in the middle of a word.
      let i = next;
      while (i < trimmed && !isSpace(text[i])) i++;
      if (i < trimmed) next = i + 1;
    }
    start = next;
  }
  return chunks;
}
