/**
 * Budgets every parse runs under, so one hostile file cannot exhaust the worker: archive
 * entries and inflated bytes (checked while inflating), PDF pages, extracted text, chunks,
 * and — enforced by the sandbox — memory and wall-clock time.
 */

export interface ParseLimits {
  /** Bytes an archive-based document (docx) may inflate to, all entries together. */
  maxInflatedBytes: number;
  /** Entries an archive-based document may hold. */
  maxArchiveEntries: number;
  maxPdfPages: number;
  /** Characters of extracted text (UTF-16 code units). */
  maxTextChars: number;
  maxChunks: number;
  /** Attachments of a mail read as parts of it (all levels together). */
  maxAttachments: number;
  /** Levels of mails inside mails: an .eml attached to itself stops here. */
  maxAttachmentDepth: number;
  /** OCR of PDF pages without a text layer when tesseract and pdftoppm are installed (default true). */
  ocr?: boolean;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxInflatedBytes: 100 * 1024 * 1024,
  maxArchiveEntries: 5_000,
  maxPdfPages: 2_000,
  maxTextChars: 16 * 1024 * 1024,
  maxChunks: 20_000,
  maxAttachments: 20,
  maxAttachmentDepth: 3,
};

/** Stable codes of parse failures; every one means the unchanged file will fail again. */
export const PARSE_ERROR_CODES = [
  'UNREADABLE_DOCUMENT',
  'PARSE_LIMIT_EXCEEDED',
  /** Password-protected office file or PDF. */
  'ENCRYPTED_DOCUMENT',
  /** A PDF whose pages have no text layer, and no OCR on the machine to read them. */
  'NO_TEXT_LAYER',
] as const;
export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

/** A document that cannot be read as it is (corrupt, encrypted, no text): retrying will not help. */
export class ParseError extends Error {
  override readonly name: string = 'ParseError';
  readonly code: ParseErrorCode;
  constructor(message: string, code: ParseErrorCode = 'UNREADABLE_DOCUMENT') {
    super(message);
    this.code = code;
  }
}

/** Which budget was exceeded, with the unit its value and limit are counted in. */
export const PARSE_LIMIT_UNITS = {
  inflated_bytes: 'bytes',
  archive_entries: 'entries',
  pdf_pages: 'pages',
  text_chars: 'characters',
  chunks: 'chunks',
  attachments: 'attachments',
  memory_mb: 'MB of heap',
  time_ms: 'ms',
} as const;
export type ParseLimitName = keyof typeof PARSE_LIMIT_UNITS;

/**
 * A budget breach. The message reads `PARSE_LIMIT_EXCEEDED: <limit> <value> (limit <max> <unit>)`
 * so people and scripts can tell which budget stopped the document; `>value` marks a
 * lower bound (counting stopped once the limit was passed, or the sandbox was stopped).
 */
export class ParseLimitError extends ParseError {
  override readonly name = 'ParseLimitError';
  constructor(
    readonly limit: ParseLimitName,
    readonly value: number,
    readonly max: number,
    options: { atLeast?: boolean } = {},
  ) {
    super(
      `PARSE_LIMIT_EXCEEDED: ${limit} ${options.atLeast ? '>' : ''}${value} (limit ${max} ${PARSE_LIMIT_UNITS[limit]})`,
      'PARSE_LIMIT_EXCEEDED',
    );
    this.atLeast = options.atLeast ?? false;
  }
  readonly atLeast: boolean;
}
