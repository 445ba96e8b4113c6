/**
 * What an uploaded file really is. The content decides (magic bytes, zip entries, valid
 * text), the file name only picks between text formats: a PNG renamed `.pdf`, a binary
 * named `.txt` or a zip named `.csv` is refused before anything is stored, while a text
 * file of any name (README.FHS, Makefile, app.conf, main.rs, data.json) is read as text.
 */
import {
  ACCEPTED_FILE_TYPES,
  acceptedTypesSentence,
  type DocumentFormat,
  TEXT_FORMATS,
} from '@lumikb/contracts/file-types';

export const CONTENT_TYPES = Object.fromEntries(ACCEPTED_FILE_TYPES.map((t) => [t.format, t.contentType])) as Record<
  DocumentFormat,
  string
>;

export const SUPPORTED_EXTENSIONS: Record<string, DocumentFormat> = Object.fromEntries(
  ACCEPTED_FILE_TYPES.flatMap((t) => t.extensions.map((ext) => [ext, t.format])),
);

export type Detection =
  | { ok: true; format: DocumentFormat; contentType: string }
  | { ok: false; reason: 'empty' | 'unsupported'; message: string };

/** Signatures of common binary files we refuse, so the message can name what was sent. */
const BINARY_SIGNATURES: { name: string; bytes: number[]; offset?: number }[] = [
  { name: 'PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'JPEG image', bytes: [0xff, 0xd8, 0xff] },
  { name: 'GIF image', bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: 'WebP/RIFF media', bytes: [0x52, 0x49, 0x46, 0x46] },
  { name: 'gzip archive', bytes: [0x1f, 0x8b] },
  { name: '7-Zip archive', bytes: [0x37, 0x7a, 0xbc, 0xaf] },
  { name: 'RAR archive', bytes: [0x52, 0x61, 0x72, 0x21] },
  { name: 'executable (ELF)', bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { name: 'executable (PE)', bytes: [0x4d, 0x5a] },
  { name: 'legacy Office file (.doc/.xls/.ppt; save it as .docx, .xlsx or .pptx)', bytes: [0xd0, 0xcf, 0x11, 0xe0] },
  { name: 'MP3 audio', bytes: [0x49, 0x44, 0x33] },
  { name: 'MP4/QuickTime media', bytes: [0x66, 0x74, 0x79, 0x70], offset: 4 },
];

/** OLE compound file: legacy Office, and also the envelope of a password-protected docx/xlsx/pptx. */
const COMPOUND_FILE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const OFFICE_FORMATS = new Set<DocumentFormat>(['docx', 'xlsx', 'pptx']);

export function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

export function isCompoundFile(bytes: Uint8Array): boolean {
  return startsWith(bytes, COMPOUND_FILE);
}

/** PDF readers accept the header anywhere in the first 1024 bytes. */
function isPdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]);
}

/**
 * Which document a zip holds. Zip local headers store entry names uncompressed, and
 * OpenDocument/EPUB begin with a stored `mimetype` entry naming their type.
 */
function zipFormat(bytes: Uint8Array): DocumentFormat | undefined {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (name: string) => raw.includes(name, 0, 'latin1');
  const head = raw.subarray(0, 200).toString('latin1');
  if (head.includes('mimetypeapplication/epub+zip')) return 'epub';
  if (head.includes('mimetypeapplication/vnd.oasis.opendocument.text')) return 'odt';
  if (has('word/document.xml')) return 'docx';
  if (has('xl/workbook.xml')) return 'xlsx';
  if (has('ppt/presentation.xml')) return 'pptx';
  return undefined;
}

/** Decodes text (UTF-8, or UTF-16 with a BOM); null when the bytes are not text. */
export function decodeText(bytes: Uint8Array, options: { lenient?: boolean } = {}): string | null {
  let text: string;
  const fatal = !options.lenient;
  try {
    if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder('utf-16le', { fatal }).decode(bytes.subarray(2));
    else if (startsWith(bytes, [0xfe, 0xff])) text = new TextDecoder('utf-16be', { fatal }).decode(bytes.subarray(2));
    else text = new TextDecoder('utf-8', { fatal, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  // Text files do not contain NUL, and only a handful of other control characters.
  let controls = 0;
  let replaced = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    if (c === 0xfffd) replaced++;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) controls++;
  }
  if (controls > Math.max(8, text.length / 100)) return null;
  // Lenient decoding (tables) tolerates a few broken bytes, not a binary file.
  if (replaced > Math.max(8, text.length / 100)) return null;
  return text;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text.slice(0, 2048));
}

/** A mail message starts with RFC 5322 header fields, among them From and a Date or Subject. */
function looksLikeMail(text: string): boolean {
  const head = text.slice(0, 4096).split(/\r?\n\r?\n/, 1)[0] ?? '';
  return /^(from|return-path|received|message-id|mime-version):/im.test(head) && /^from:/im.test(head);
}

const supportedList = acceptedTypesSentence();

export function detectFormat(bytes: Uint8Array, filename: string): Detection {
  if (bytes.length === 0) return { ok: false, reason: 'empty', message: 'The file is empty' };
  const ext = extensionOf(filename);
  const claimed = ext ? SUPPORTED_EXTENSIONS[ext] : undefined;
  const found = (format: DocumentFormat): Detection => ({ ok: true, format, contentType: CONTENT_TYPES[format] });
  const refuse = (message: string): Detection => ({ ok: false, reason: 'unsupported', message });
  const contradicts = (actual?: string) =>
    refuse(`The file is named .${ext} but its content is ${actual ? `${actual}, ` : ''}not ${article(claimed!)}`);

  let binary: DocumentFormat | undefined;
  if (isPdf(bytes)) binary = 'pdf';
  else if (isZip(bytes)) {
    binary = zipFormat(bytes);
    if (!binary) {
      return claimed
        ? contradicts('a ZIP archive')
        : refuse(`The file is a ZIP archive, not a supported document. Supported types: ${supportedList}`);
    }
  } else if (isCompoundFile(bytes) && claimed && OFFICE_FORMATS.has(claimed)) {
    // A password-protected docx/xlsx/pptx is an OLE envelope: stored, then failed as ENCRYPTED_DOCUMENT.
    return found(claimed);
  }
  if (binary) {
    if (claimed && claimed !== binary) return contradicts(article(binary));
    return found(binary);
  }
  for (const sig of BINARY_SIGNATURES) {
    if (startsWith(bytes, sig.bytes, sig.offset)) {
      return refuse(`The file is a ${sig.name}, which is not supported. Supported types: ${supportedList}`);
    }
  }
  if (claimed && !TEXT_FORMATS.includes(claimed)) return contradicts();
  // Tables are read as far as they are sound: a few broken bytes do not refuse a CSV.
  const text = decodeText(bytes, { lenient: claimed === 'csv' || claimed === 'tsv' });
  if (text === null) return refuse(`The file is binary data, not text. Supported types: ${supportedList}`);
  if (text.trim().length === 0) return { ok: false, reason: 'empty', message: 'The file contains only whitespace' };
  if (claimed) return found(claimed);
  if (looksLikeHtml(text)) return found('html');
  if (looksLikeMail(text)) return found('eml');
  // Any other text, whatever its name: README.FHS, Makefile, .conf, source code, JSON, YAML, XML.
  return found('txt');
}

function article(format: DocumentFormat | string): string {
  const label = ACCEPTED_FILE_TYPES.find((t) => t.format === format)?.label ?? String(format);
  return `${/^[AEIOU]/i.test(label) ? 'an' : 'a'} ${label}`;
}
