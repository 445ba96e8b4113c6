/**
 * Text extraction per format. The result is normalised (LF line ends, no trailing
 * spaces, at most one blank line in a row) and is the text every chunk offset refers to.
 * Heavy parsers (pdf.js, mammoth) are loaded on first use only. Every parse runs under
 * `ParseLimits`; a breach throws `ParseLimitError`.
 */
import type { DocumentFormat } from '@lumikb/contracts';
import { inspectArchive } from './archive.ts';
import { decodeText } from './detect.ts';
import { DEFAULT_PARSE_LIMITS, ParseError, ParseLimitError, type ParseLimits } from './limits.ts';

export function normaliseText(raw: string): string {
  return raw
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replaceAll('\u0000', '')
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export async function extractText(
  bytes: Uint8Array,
  format: DocumentFormat,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<string> {
  let raw: string;
  switch (format) {
    case 'txt':
    case 'md':
    case 'csv':
    case 'tsv':
    case 'eml': {
      // Refused before decoding: a 50 MiB text must not cost a 100 MB string first.
      const chars = minimumTextLength(bytes);
      if (chars > limits.maxTextChars) throw new ParseLimitError('text_chars', chars, limits.maxTextChars);
      const text = decodeText(bytes);
      if (text === null) throw new ParseError('The file is not valid UTF-8 or UTF-16 text');
      raw = text;
      break;
    }
    case 'html': {
      const text = decodeText(bytes);
      if (text === null) throw new ParseError('The file is not valid UTF-8 or UTF-16 text');
      raw = await htmlToText(text);
      break;
    }
    case 'pdf':
      raw = await pdfToText(bytes, limits);
      break;
    case 'docx':
      raw = await docxToText(bytes, limits);
      break;
    default:
      throw new ParseError(`Reading ${format} documents is not available yet`);
  }
  // Checked before normalising: the regular expressions below are the costly part.
  if (raw.length > limits.maxTextChars) throw new ParseLimitError('text_chars', raw.length, limits.maxTextChars);
  const text = normaliseText(raw);
  if (text.length === 0) {
    throw new ParseError(
      format === 'pdf'
        ? 'The PDF contains no extractable text (a scanned document needs OCR first)'
        : 'The document contains no text',
    );
  }
  return text;
}

const SKIPPED_ELEMENTS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'iframe', 'object']);
const BLOCK_ELEMENTS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'ul',
  'title',
]);

/** Visible text of an HTML page: scripts and styles dropped, blocks on their own lines, entities decoded. */
export async function htmlToText(html: string): Promise<string> {
  const { Parser } = await import('htmlparser2');
  const out: string[] = [];
  let skipDepth = 0;
  let preDepth = 0;
  // `head` is skipped, but its title is worth keeping as the first line.
  let inTitle = false;
  const newline = () => out.push('\n');
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        else if (SKIPPED_ELEMENTS.has(name)) skipDepth++;
        if (name === 'pre') preDepth++;
        if (BLOCK_ELEMENTS.has(name)) newline();
        if (name === 'td' || name === 'th') out.push('\t');
      },
      ontext(text) {
        if (skipDepth > 0 && !inTitle) return;
        out.push(preDepth > 0 ? text : text.replace(/\s+/g, ' '));
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (SKIPPED_ELEMENTS.has(name)) skipDepth = Math.max(0, skipDepth - 1);
        if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        if (BLOCK_ELEMENTS.has(name)) {
          newline();
          if (name === 'p' || /^h[1-6]$/.test(name) || name === 'title') newline();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/^[ \t]+/, '').replace(/ {2,}/g, ' '))
    .join('\n');
}

interface PdfTextItem {
  str?: string;
  hasEOL?: boolean;
}

/**
 * A lower bound of the text's length in UTF-16 code units, without decoding: UTF-16 with a
 * BOM has one unit per two bytes; UTF-8 at least one per character (bytes that are not
 * continuation bytes).
 */
function minimumTextLength(bytes: Uint8Array): number {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return Math.floor((bytes.length - 2) / 2);
  }
  let chars = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) !== 0x80) chars++;
  return chars;
}

/**
 * The page count the PDF's page tree declares (the largest `/Count` of a `/Type /Pages`
 * dictionary), read from the raw bytes before pdf.js loads the document: loading 20,000
 * pages costs seconds and hundreds of MB before `numPages` can be asked. Page trees
 * inside compressed object streams are not visible here; pdf.js's count still applies.
 */
function declaredPageCount(bytes: Uint8Array): number {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let pages = 0;
  const tree = /\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)|\/Count\s+(\d+)[^>]*?\/Type\s*\/Pages\b/g;
  for (let m = tree.exec(raw); m; m = tree.exec(raw)) pages = Math.max(pages, Number(m[1] ?? m[2]));
  return pages;
}

export async function pdfToText(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<string> {
  const declared = declaredPageCount(bytes);
  if (declared > limits.maxPdfPages) throw new ParseLimitError('pdf_pages', declared, limits.maxPdfPages);
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js transfers (detaches) the buffer it is given: hand it a copy.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    verbosity: 0,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => {});
    const name = (error as { name?: string }).name;
    if (name === 'PasswordException') throw new ParseError('The PDF is password-protected');
    throw new ParseError(`The PDF cannot be read: ${(error as Error).message ?? String(error)}`);
  }
  try {
    if (doc.numPages > limits.maxPdfPages) throw new ParseLimitError('pdf_pages', doc.numPages, limits.maxPdfPages);
    const pages: string[] = [];
    let chars = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items as PdfTextItem[]) {
        if (typeof item.str !== 'string') continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
        else if (item.str && !/\s$/.test(item.str)) text += ' ';
      }
      const pageText = text.replace(/ +\n/g, '\n').trim();
      pages.push(pageText);
      page.cleanup();
      // Stop reading as soon as the text cannot fit, rather than after the last page.
      chars += pageText.length + 2;
      if (chars > limits.maxTextChars)
        throw new ParseLimitError('text_chars', chars, limits.maxTextChars, { atLeast: true });
    }
    return pages.filter((p) => p.length > 0).join('\n\n');
  } finally {
    await doc.destroy().catch(() => {});
  }
}

export async function docxToText(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<string> {
  // mammoth inflates every part into memory: the archive's budgets are checked first,
  // streaming, so only a document known to fit is handed to it.
  await inspectArchive(bytes, limits, 'The Word document');
  const mammoth = (await import('mammoth')).default;
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return result.value;
  } catch (error) {
    throw new ParseError(`The Word document cannot be read: ${(error as Error).message ?? String(error)}`);
  }
}
