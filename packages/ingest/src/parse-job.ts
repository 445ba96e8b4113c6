/**
 * The work a parse sandbox does for one request, and how its results and errors cross
 * the thread boundary (structured clone keeps only plain data, not classes).
 */
import type { DocumentFormat } from '@lumikb/contracts';
import { type ChunkOptions, chunkText } from './chunk.ts';
import { ParseError, ParseLimitError, type ParseLimitName, type ParseLimits } from './limits.ts';
import { extractText } from './parse.ts';

export type ParseRequest =
  | { kind: 'extract'; bytes: Uint8Array; format: DocumentFormat; limits: ParseLimits }
  | { kind: 'chunk'; text: string; options: ChunkOptions };

/** `extract` answers the text; `chunk` answers [start, end] pairs, flattened. */
export type ParseResponse = { kind: 'extract'; text: string } | { kind: 'chunk'; ranges: Uint32Array };

export type WireError =
  | { code: 'PARSE_LIMIT_EXCEEDED'; limit: ParseLimitName; value: number; max: number; atLeast: boolean }
  | { code: 'UNREADABLE_DOCUMENT'; message: string };

export async function runParseRequest(request: ParseRequest): Promise<ParseResponse> {
  if (request.kind === 'extract') {
    return { kind: 'extract', text: await extractText(request.bytes, request.format, request.limits) };
  }
  const chunks = chunkText(request.text, request.options);
  const ranges = new Uint32Array(chunks.length * 2);
  chunks.forEach((c, i) => {
    ranges[2 * i] = c.start;
    ranges[2 * i + 1] = c.end;
  });
  return { kind: 'chunk', ranges };
}

/**
 * Parsing is a pure function of the bytes: whatever a parser throws on them (pdf.js on a
 * broken page, a malformed XML part) it will throw again, so every error is permanent.
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof ParseLimitError) {
    return { code: error.code, limit: error.limit, value: error.value, max: error.max, atLeast: error.atLeast };
  }
  if (error instanceof ParseError) return { code: 'UNREADABLE_DOCUMENT', message: error.message };
  return {
    code: 'UNREADABLE_DOCUMENT',
    message: `The document cannot be read: ${(error as Error)?.message ?? String(error)}`,
  };
}

export function fromWireError(wire: WireError): ParseError {
  if (wire.code === 'PARSE_LIMIT_EXCEEDED') {
    return new ParseLimitError(wire.limit, wire.value, wire.max, { atLeast: wire.atLeast });
  }
  return new ParseError(wire.message);
}
