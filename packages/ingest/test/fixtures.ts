/** Small documents of every supported format, generated in code so tests show their content. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { serializePdf } from './pdf-writer.ts';

const run = promisify(execFile);

export * from './bombs.ts';

/** A one-page PDF (Helvetica, one text line per entry) with a correct xref table. */
export function makePdf(lines: string[]): Buffer {
  const pdfEscape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = `BT /F1 12 Tf 72 720 Td 14 TL ${lines.map((l) => `(${pdfEscape(l)}) Tj T*`).join(' ')} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  return serializePdf(objects);
}

/** A PDF of several pages, `pages[i]` the lines of page i + 1. */
export function makePdfPages(pages: string[][]): Buffer {
  const pdfEscape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const n = pages.length;
  // 1 catalog, 2 page tree, 3 font, then a page and its content stream for each page.
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  for (const [i, lines] of pages.entries()) {
    const content = `BT /F1 12 Tf 72 720 Td 14 TL ${lines.map((l) => `(${pdfEscape(l)}) Tj T*`).join(' ')} ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
      `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    );
  }
  return serializePdf(objects);
}

/**
 * Why OCR cannot run on this machine (`undefined`: it can) — for a test's `skip`. Under
 * .ci/run, which installs tesseract and poppler-utils in the background while tests start,
 * it first waits for that install (shared lock on `LUMIKB_OCR_TOOLS_LOCK`), so CI runs OCR.
 */
export async function ocrToolsMissing(): Promise<string | undefined> {
  const lock = process.env.LUMIKB_OCR_TOOLS_LOCK;
  if (lock && existsSync(lock)) {
    // An install that takes longer than this is as good as failed: the checks below say so.
    await run('flock', ['-s', lock, 'true'], { timeout: 150_000 }).catch(() => {});
  }
  try {
    const { stdout, stderr } = await run('tesseract', ['--list-langs'], { timeout: 10_000 });
    if (!/^eng$/m.test(stdout + stderr)) return 'tesseract has no English data (apt-get install tesseract-ocr-eng)';
  } catch {
    return 'tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-eng)';
  }
  try {
    await run('pdftoppm', ['-v'], { timeout: 10_000 });
  } catch {
    return 'pdftoppm not installed (apt-get install poppler-utils)';
  }
  return undefined;
}

/**
 * A scanned page: `makePdf(lines)` rendered by pdftoppm at 150 dpi and the PNG wrapped
 * (pdf-lib) into a PDF that holds nothing but that image — no text layer, as from a scanner.
 */
export async function makeScannedPdf(lines: string[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'lumikb-scan-'));
  try {
    await writeFile(join(dir, 'text.pdf'), makePdf(lines));
    await run('pdftoppm', ['-png', '-r', '150', '-singlefile', join(dir, 'text.pdf'), join(dir, 'page')], {
      timeout: 60_000,
    });
    const { PDFDocument } = await import('pdf-lib');
    const pdf = await PDFDocument.create();
    const image = await pdf.embedPng(await readFile(join(dir, 'page.png')));
    pdf.addPage([612, 792]).drawImage(image, { x: 0, y: 0, width: 612, height: 792 });
    return Buffer.from(await pdf.save());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A minimal Word (.docx) document with one paragraph per entry. */
export async function makeDocx(paragraphs: string[]): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
      '</Types>',
  );
  zip.file(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
      '</Relationships>',
  );
  zip.file(
    'word/document.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' +
      paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`).join('') +
      '</w:body></w:document>',
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** An HTML page whose visible text is `paragraphs` (plus a script and style that must not leak). */
export function makeHtml(title: string, paragraphs: string[]): Buffer {
  return Buffer.from(
    `<!DOCTYPE html><html><head><title>${xmlEscape(title)}</title><style>p { color: red }</style>` +
      '<script>var secret = "do-not-index";</script></head><body>' +
      paragraphs.map((p) => `<p>${xmlEscape(p)}</p>`).join('\n') +
      '</body></html>',
  );
}

/** A 1x1 PNG: binary content that is not a document. */
export const PNG_BYTES = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
export * from './office-fixtures.ts';
