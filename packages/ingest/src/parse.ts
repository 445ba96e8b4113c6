/**
 * Text extraction per format. The result is normalised (LF line ends, no trailing
 * spaces, at most one blank line in a row) and is the text every chunk offset refers to;
 * its sections carry the structure (pages, slides, sheet rows, heading paths) that
 * structure-aware chunking follows. Heavy parsers (pdf.js, mammoth) are loaded on first
 * use only. Every parse runs under `ParseLimits`; a breach throws `ParseLimitError`.
 */
import type { DocumentFormat } from '@lumikb/contracts';
import { inspectArchive } from './archive.ts';
import { decodeText } from './detect.ts';
import { DocumentBuilder, type ExtractedDocument, type TextSink } from './document.ts';
import { epubToText } from './formats/epub.ts';
import { mailToText } from './formats/mail.ts';
import { ocrAvailable, ocrPdfPage } from './formats/ocr.ts';
import { odtToText } from './formats/odt.ts';
import { refuseCompoundFile } from './formats/office.ts';
import { Outline } from './formats/outline.ts';
import { pptxToText } from './formats/slides.ts';
import { delimitedToText, xlsxToText } from './formats/tables.ts';
import { DEFAULT_PARSE_LIMITS, ParseError, ParseLimitError, type ParseLimits } from './limits.ts';

export { normaliseText } from './document.ts';

/** The document's text (see `extractDocument` for its structure too). */
export async function extractText(
  bytes: Uint8Array,
  format: DocumentFormat,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<string> {
  return (await extractDocument(bytes, format, limits)).text;
}

export async function extractDocument(
  bytes: Uint8Array,
  format: DocumentFormat,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<ExtractedDocument> {
  const doc = new DocumentBuilder(limits);
  await extractInto(doc, bytes, format, limits, 0);
  const result = doc.build();
  if (result.text.length === 0) throw new ParseError('The document contains no text');
  return result;
}

/** Extracts one document (or an attachment of one, at `depth`) into `sink`. */
export async function extractInto(
  sink: TextSink,
  bytes: Uint8Array,
  format: DocumentFormat,
  limits: ParseLimits,
  depth: number,
): Promise<void> {
  switch (format) {
    case 'txt':
      sink.add(readText(bytes, limits));
      return;
    case 'md':
      markdownInto(sink, readText(bytes, limits));
      return;
    case 'html':
      await htmlInto(sink, readText(bytes, limits));
      return;
    case 'csv':
    case 'tsv':
      readText(bytes, limits, { lenient: true });
      delimitedToText(bytes, format === 'csv' ? ',' : '\t', sink);
      return;
    case 'pdf':
      await pdfInto(sink, bytes, limits);
      return;
    case 'docx':
      await docxInto(sink, bytes, limits);
      return;
    case 'xlsx':
      await xlsxToText(bytes, limits, sink);
      return;
    case 'pptx':
      await pptxToText(bytes, limits, sink);
      return;
    case 'odt':
      await odtToText(bytes, limits, sink);
      return;
    case 'epub':
      await epubToText(bytes, limits, sink, (html, chapterSink) => htmlInto(chapterSink, html));
      return;
    case 'eml':
      await mailToText(
        readText(bytes, limits),
        limits,
        sink,
        depth,
        (html, partSink) => htmlInto(partSink, html),
        extractInto,
      );
      return;
  }
}

/** Text of a text format; refused before decoding when it cannot fit (a 50 MiB text must not cost a 100 MB string first). */
function readText(bytes: Uint8Array, limits: ParseLimits, options: { lenient?: boolean } = {}): string {
  const chars = minimumTextLength(bytes);
  if (chars > limits.maxTextChars) throw new ParseLimitError('text_chars', chars, limits.maxTextChars);
  const text = decodeText(bytes, options);
  if (text === null) throw new ParseError('The file is not valid UTF-8 or UTF-16 text');
  return text;
}

/** Markdown by its ATX headings (`#`…`######`), not inside fenced code. */
export function markdownInto(sink: TextSink, text: string): void {
  const outline = new Outline(sink);
  let fence: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (!fence || fenceMark.startsWith(fence))) fence = fence ? undefined : fenceMark.slice(0, 3);
    const heading = fence ? null : /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) outline.heading(heading[1]!.length, heading[2]!, line);
    else outline.text(`${line}\n`);
  }
  outline.flush();
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

const cleanHtmlText = (raw: string) =>
  raw
    .split('\n')
    .map((line) => line.replace(/^[ \t]+/, '').replace(/ {2,}/g, ' '))
    .join('\n');

/** Visible text of an HTML page: scripts and styles dropped, blocks on their own lines, entities decoded. */
export async function htmlToText(html: string): Promise<string> {
  const doc = new DocumentBuilder({ maxTextChars: Number.MAX_SAFE_INTEGER });
  await htmlInto(doc, html);
  return doc.build().text;
}

/** HTML into sections by its headings (h1–h6). */
export async function htmlInto(sink: TextSink, html: string): Promise<void> {
  const { Parser } = await import('htmlparser2');
  const outline = new Outline(sink, cleanHtmlText);
  let skipDepth = 0;
  let preDepth = 0;
  // `head` is skipped, but its title is worth keeping as the first line.
  let inTitle = false;
  let heading: { level: number; text: string } | undefined;
  const newline = () => outline.text('\n');
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        else if (SKIPPED_ELEMENTS.has(name)) skipDepth++;
        if (name === 'pre') preDepth++;
        if (skipDepth === 0 && /^h[1-6]$/.test(name)) heading = { level: Number(name[1]), text: '' };
        else if (BLOCK_ELEMENTS.has(name)) newline();
        if (name === 'td' || name === 'th') outline.text('\t');
      },
      ontext(text) {
        if (skipDepth > 0 && !inTitle) return;
        const shown = preDepth > 0 ? text : text.replace(/\s+/g, ' ');
        if (heading) heading.text += shown;
        else outline.text(shown);
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (SKIPPED_ELEMENTS.has(name)) skipDepth = Math.max(0, skipDepth - 1);
        if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        if (heading && /^h[1-6]$/.test(name)) {
          outline.heading(heading.level, heading.text);
          heading = undefined;
          newline();
        } else if (BLOCK_ELEMENTS.has(name)) {
          newline();
          if (name === 'p' || name === 'title') newline();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  outline.flush();
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

/** Pages listed compactly: "3, 5, 7–9". */
function pageList(pages: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < pages.length; i++) {
    let j = i;
    while (j + 1 < pages.length && pages[j + 1] === pages[j]! + 1) j++;
    out.push(j > i ? `${pages[i]}–${pages[j]}` : `${pages[i]}`);
    i = j;
  }
  return out.join(', ');
}

export async function pdfToText(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<string> {
  const doc = new DocumentBuilder(limits);
  await pdfInto(doc, bytes, limits);
  return doc.build().text;
}

/** One section per page (`page: n`); pages without a text layer go to OCR when the machine has it. */
async function pdfInto(sink: TextSink, bytes: Uint8Array, limits: ParseLimits): Promise<void> {
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
    if (name === 'PasswordException') {
      throw new ParseError(
        'The PDF is password-protected; remove the password and upload it again',
        'ENCRYPTED_DOCUMENT',
      );
    }
    throw new ParseError(`The PDF cannot be read: ${(error as Error).message ?? String(error)}`);
  }
  try {
    if (doc.numPages > limits.maxPdfPages) throw new ParseLimitError('pdf_pages', doc.numPages, limits.maxPdfPages);
    let chars = 0;
    const withoutText: number[] = [];
    const pages: string[] = [];
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
      page.cleanup();
      pages.push(pageText);
      if (!pageText) withoutText.push(n);
      // Stop reading as soon as the text cannot fit, rather than after the last page.
      chars += pageText.length + 2;
      if (chars > limits.maxTextChars)
        throw new ParseLimitError('text_chars', chars, limits.maxTextChars, { atLeast: true });
    }
    const ocr = withoutText.length > 0 && (await ocrAvailable(limits.ocr));
    if (ocr) {
      for (const n of withoutText) pages[n - 1] = (await ocrPdfPage(bytes, n)).trim();
      if (pages.every((page) => page === '')) {
        throw new ParseError('The PDF has no text layer and OCR found no text on its pages', 'NO_TEXT_LAYER');
      }
    } else if (withoutText.length === doc.numPages) {
      throw new ParseError(
        `The PDF has no text layer (a scanned document): OCR is not installed on this machine (install tesseract-ocr and poppler-utils in the worker's image to read scans)`,
        'NO_TEXT_LAYER',
      );
    } else if (withoutText.length > 0) {
      sink.note(`pages ${pageList(withoutText)} have no text layer and OCR is not installed`);
    }
    pages.forEach((text, i) => {
      sink.add(text, { page: i + 1 });
    });
  } finally {
    await doc.destroy().catch(() => {});
  }
}

export async function docxToText(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<string> {
  const doc = new DocumentBuilder(limits);
  await docxInto(doc, bytes, limits);
  return doc.build().text;
}

/** Word documents through mammoth's HTML, so their headings become sections. */
async function docxInto(sink: TextSink, bytes: Uint8Array, limits: ParseLimits): Promise<void> {
  refuseCompoundFile(bytes, 'The Word document');
  // mammoth inflates every part into memory: the archive's budgets are checked first,
  // streaming, so only a document known to fit is handed to it.
  await inspectArchive(bytes, limits, 'The Word document');
  const mammoth = (await import('mammoth')).default;
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (error) {
    throw new ParseError(`The Word document cannot be read: ${(error as Error).message ?? String(error)}`);
  }
  await htmlInto(sink, html);
}
