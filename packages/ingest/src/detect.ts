/**
 * What an uploaded file really is. The content decides (magic bytes, zip entries, valid
 * text), the file name only picks between text formats: a PNG renamed `.pdf` or a binary
 * named `.txt` is refused before anything is stored.
 */
import type { DocumentFormat } from '@lumikb/contracts';

export const CONTENT_TYPES: Record<DocumentFormat, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export const SUPPORTED_EXTENSIONS: Record<string, DocumentFormat> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  mdown: 'md',
  mkd: 'md',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  pdf: 'pdf',
  docx: 'docx',
};

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
  { name: 'legacy Office file (.doc/.xls/.ppt; save it as .docx)', bytes: [0xd0, 0xcf, 0x11, 0xe0] },
  { name: 'MP3 audio', bytes: [0x49, 0x44, 0x33] },
  { name: 'MP4/QuickTime media', bytes: [0x66, 0x74, 0x79, 0x70], offset: 4 },
];

export function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

/** PDF readers accept the header anywhere in the first 1024 bytes. */
function isPdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

function isZip(bytes: Uint8Array): boolean {
  return startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]);
}

/** Zip local headers store entry names uncompressed: a Word document has `word/document.xml`. */
function isDocx(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('word/document.xml', 0, 'latin1');
}

/** Decodes text (UTF-8, or UTF-16 with a BOM); null when the bytes are not text. */
export function decodeText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    else if (startsWith(bytes, [0xfe, 0xff]))
      text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  // Text files do not contain NUL, and only a handful of other control characters.
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return null;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) controls++;
  }
  if (controls > Math.max(8, text.length / 100)) return null;
  return text;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text.slice(0, 2048));
}

const supportedList = 'txt, md, html, pdf or docx';

export function detectFormat(bytes: Uint8Array, filename: string): Detection {
  if (bytes.length === 0) return { ok: false, reason: 'empty', message: 'The file is empty' };
  const ext = extensionOf(filename);
  const claimed = ext ? SUPPORTED_EXTENSIONS[ext] : undefined;
  const found = (format: DocumentFormat): Detection => ({ ok: true, format, contentType: CONTENT_TYPES[format] });
  const refuse = (message: string): Detection => ({ ok: false, reason: 'unsupported', message });

  if (isPdf(bytes)) return found('pdf');
  if (isZip(bytes)) {
    if (isDocx(bytes)) return found('docx');
    return refuse(`The file is a ZIP archive, not a Word document. Supported types: ${supportedList}`);
  }
  for (const sig of BINARY_SIGNATURES) {
    if (startsWith(bytes, sig.bytes, sig.offset)) {
      return refuse(`The file is a ${sig.name}, which is not supported. Supported types: ${supportedList}`);
    }
  }
  if (claimed === 'pdf' || claimed === 'docx') {
    return refuse(`The file is named .${ext} but its content is not a ${claimed.toUpperCase()} document`);
  }
  const text = decodeText(bytes);
  if (text === null) return refuse(`The file is binary data, not text. Supported types: ${supportedList}`);
  if (text.trim().length === 0) return { ok: false, reason: 'empty', message: 'The file contains only whitespace' };
  if (claimed) return found(claimed);
  if (ext) return refuse(`Files of type .${ext} are not supported. Supported types: ${supportedList}`);
  return found(looksLikeHtml(text) ? 'html' : 'txt');
}
