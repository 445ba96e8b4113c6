/**
 * Splits extracted text into overlapping chunks of at most `chunkSize` characters,
 * breaking at the best boundary available (paragraph, line, sentence, word). Every chunk
 * is exactly `text.slice(start, end)`, so citations can point into the original text.
 */
import type { ChunkLocation } from '@lumikb/contracts';
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

/** A chunk and where it is in the document (absent for text without structure). */
export interface LocatedChunk extends Chunk {
  location?: ChunkLocation;
}

/** Sections whose locations differ only in their page/slide/row numbers can share a chunk. */
function groupKey(location: ChunkLocation): string {
  return JSON.stringify([location.sheet ?? null, location.headings ?? null, location.part ?? null]);
}

/** The location of consecutive sections of one group: their pages, slides or rows as a range. */
function mergeLocations(first: ChunkLocation, last: ChunkLocation): ChunkLocation {
  const merged: ChunkLocation = { ...first };
  const span = (from: 'page' | 'slide' | 'row_start', to: 'page_end' | 'slide_end' | 'row_end') => {
    const end = last[to] ?? last[from];
    if (first[from] !== undefined && end !== undefined && end !== first[from]) merged[to] = end;
  };
  span('page', 'page_end');
  span('slide', 'slide_end');
  span('row_start', 'row_end');
  return merged;
}

/**
 * Structure first, size second: consecutive sections of one group (the rows of a sheet,
 * the paragraphs under one heading, pages, slides) are packed into chunks of up to
 * `chunkSize` without splitting a section; only a section larger than `chunkSize` is split
 * by `chunkText` (with overlap). Text without sections is chunked by size as before.
 */
export function chunkDocument(
  doc: { text: string; sections: readonly { start: number; end: number; location: ChunkLocation }[] },
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): LocatedChunk[] {
  if (doc.sections.length === 0) return chunkText(doc.text, options);
  const { chunkSize, maxChunks = Number.POSITIVE_INFINITY } = options;
  // Validates the options the same way for both paths.
  chunkText('', options);
  const chunks: LocatedChunk[] = [];
  const push = (start: number, end: number, location: ChunkLocation) => {
    if (chunks.length >= maxChunks)
      throw new ParseLimitError('chunks', chunks.length + 1, maxChunks, { atLeast: true });
    chunks.push({ index: chunks.length, start, end, text: doc.text.slice(start, end), location });
  };
  // Text outside every section (a note at the end, a preamble) is a section of its own.
  const sections: { start: number; end: number; location: ChunkLocation }[] = [];
  let at = 0;
  for (const section of doc.sections) {
    if (section.start > at && doc.text.slice(at, section.start).trim())
      sections.push({ start: at, end: section.start, location: {} });
    sections.push(section);
    at = section.end;
  }
  if (at < doc.text.length && doc.text.slice(at).trim())
    sections.push({ start: at, end: doc.text.length, location: {} });

  let group: { start: number; end: number; first: ChunkLocation; last: ChunkLocation } | undefined;
  const flush = () => {
    if (group) push(group.start, group.end, mergeLocations(group.first, group.last));
    group = undefined;
  };
  for (const section of sections) {
    let { start } = section;
    const { end } = section;
    while (start < end && /\s/.test(doc.text[start]!)) start++;
    if (start >= end) continue;
    if (end - start > chunkSize) {
      flush();
      for (const piece of chunkText(doc.text.slice(start, end), { ...options, maxChunks: Number.POSITIVE_INFINITY })) {
        push(start + piece.start, start + piece.end, section.location);
      }
      continue;
    }
    if (group && groupKey(group.first) === groupKey(section.location) && end - group.start <= chunkSize) {
      group.end = end;
      group.last = section.location;
    } else {
      flush();
      group = { start, end, first: section.location, last: section.location };
    }
  }
  flush();
  // An empty location says nothing: leave it out.
  for (const chunk of chunks) if (chunk.location && Object.keys(chunk.location).length === 0) delete chunk.location;
  return chunks;
}
