/**
 * The work a parse sandbox does for one request, and how its results and errors cross
 * the thread boundary (structured clone keeps only plain data, not classes).
 */
import type { ChunkLocation, DocumentFormat } from '@lumikb/contracts';
import { type ChunkOptions, chunkDocument } from './chunk.ts';
import type { ExtractedDocument, Section } from './document.ts';
import { ParseError, type ParseErrorCode, ParseLimitError, type ParseLimitName, type ParseLimits } from './limits.ts';
import { extractDocument } from './parse.ts';

export type ParseRequest =
  | { kind: 'extract'; bytes: Uint8Array; format: DocumentFormat; limits: ParseLimits }
  | { kind: 'chunk'; text: string; sections: Section[]; options: ChunkOptions };

/** `extract` answers the document; `chunk` answers [start, end] pairs, flattened, and each chunk's location. */
export type ParseResponse =
  | { kind: 'extract'; document: ExtractedDocument }
  | { kind: 'chunk'; ranges: Uint32Array; locations: (ChunkLocation | null)[] };

export type WireError =
  | { code: 'PARSE_LIMIT_EXCEEDED'; limit: ParseLimitName; value: number; max: number; atLeast: boolean }
  | { code: Exclude<ParseErrorCode, 'PARSE_LIMIT_EXCEEDED'>; message: string };

export async function runParseRequest(request: ParseRequest): Promise<ParseResponse> {
  if (request.kind === 'extract') {
    return { kind: 'extract', document: await extractDocument(request.bytes, request.format, request.limits) };
  }
  const chunks = chunkDocument({ text: request.text, sections: request.sections }, request.options);
  const ranges = new Uint32Array(chunks.length * 2);
  chunks.forEach((c, i) => {
    ranges[2 * i] = c.start;
    ranges[2 * i + 1] = c.end;
  });
  return { kind: 'chunk', ranges, locations: chunks.map((c) => c.location ?? null) };
}

/**
 * Parsing is a pure function of the bytes: whatever a parser throws on them (pdf.js on a
 * broken page, a malformed XML part) it will throw again, so every error is permanent.
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof ParseLimitError) {
    return {
      code: 'PARSE_LIMIT_EXCEEDED',
      limit: error.limit,
      value: error.value,
      max: error.max,
      atLeast: error.atLeast,
    };
  }
  if (error instanceof ParseError) {
    return { code: error.code === 'PARSE_LIMIT_EXCEEDED' ? 'UNREADABLE_DOCUMENT' : error.code, message: error.message };
  }
  return {
    code: 'UNREADABLE_DOCUMENT',
    message: `The document cannot be read: ${(error as Error)?.message ?? String(error)}`,
  };
}

export function fromWireError(wire: WireError): ParseError {
  if (wire.code === 'PARSE_LIMIT_EXCEEDED') {
    return new ParseLimitError(wire.limit, wire.value, wire.max, { atLeast: wire.atLeast });
  }
  return new ParseError(wire.message, wire.code);
}
