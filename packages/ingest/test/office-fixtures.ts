/**
 * Spreadsheets, presentations, OpenDocument texts, e-books and mails generated in code
 * (JSZip writes the archives): the tests show every part they read, no binary fixture.
 */
import JSZip from 'jszip';
import { serializePdf } from './pdf-writer.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const zipped = (zip: JSZip) => zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });

/** A cell: text (a shared string), a number, or a formula with its cached value (none: never calculated). */
export type XlsxCell = string | number | { formula: string; cached?: number | string };

export async function makeXlsx(sheets: { name: string; rows: XlsxCell[][]; hidden?: boolean }[]): Promise<Buffer> {
  const zip = new JSZip();
  const shared: string[] = [];
  const col = (i: number) => String.fromCharCode(65 + i);
  zip.file(
    '[Content_Types].xml',
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
  );
  zip.file(
    'xl/workbook.xml',
    `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${sheets
      .map(
        (s, i) =>
          `<sheet name="${esc(s.name)}" sheetId="${i + 1}"${s.hidden ? ' state="hidden"' : ''} r:id="rId${i + 1}"/>`,
      )
      .join('')}</sheets></workbook>`,
  );
  zip.file(
    'xl/_rels/workbook.xml.rels',
    `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
      .map((_, i) => `<Relationship Id="rId${i + 1}" Type="worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
      .join('')}</Relationships>`,
  );
  sheets.forEach((sheet, i) => {
    const rows = sheet.rows
      .map((cells, r) => {
        const xml = cells
          .map((cell, c) => {
            const ref = `${col(c)}${r + 1}`;
            if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`;
            if (typeof cell === 'string') {
              if (cell === '') return '';
              shared.push(cell);
              return `<c r="${ref}" t="s"><v>${shared.length - 1}</v></c>`;
            }
            const type = typeof cell.cached === 'string' ? ' t="str"' : '';
            return `<c r="${ref}"${type}><f>${esc(cell.formula)}</f>${cell.cached !== undefined ? `<v>${esc(String(cell.cached))}</v>` : ''}</c>`;
          })
          .join('');
        return `<row r="${r + 1}">${xml}</row>`;
      })
      .join('');
    zip.file(
      `xl/worksheets/sheet${i + 1}.xml`,
      `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`,
    );
  });
  zip.file(
    'xl/sharedStrings.xml',
    `${XML}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${shared.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`,
  );
  return zipped(zip);
}

export interface SlideSpec {
  title: string;
  body?: string[];
  table?: string[][];
  notes?: string;
}

const A =
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const shape = (type: string | undefined, paragraphs: string[]) =>
  `<p:sp><p:nvSpPr><p:cNvPr id="1" name="s"/><p:cNvSpPr/><p:nvPr>${type ? `<p:ph type="${type}"/>` : ''}</p:nvPr></p:nvSpPr><p:txBody>${paragraphs
    .map((p) => `<a:p><a:r><a:t>${esc(p)}</a:t></a:r></a:p>`)
    .join('')}</p:txBody></p:sp>`;

/** Slide parts are named in reverse of their order, so a test sees that the presentation's list decides. */
export async function makePptx(slides: SlideSpec[]): Promise<Buffer> {
  const zip = new JSZip();
  const n = slides.length;
  zip.file(
    '[Content_Types].xml',
    `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
  );
  zip.file(
    'ppt/presentation.xml',
    `${XML}<p:presentation ${A}><p:sldIdLst>${slides.map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 1}"/>`).join('')}</p:sldIdLst></p:presentation>`,
  );
  zip.file(
    'ppt/_rels/presentation.xml.rels',
    `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${slides
      .map((_, i) => `<Relationship Id="rId${i + 1}" Type="slide" Target="slides/slide${n - i}.xml"/>`)
      .join('')}</Relationships>`,
  );
  slides.forEach((slide, i) => {
    const file = `slide${n - i}.xml`;
    const table = slide.table
      ? `<p:graphicFrame><a:graphic><a:graphicData><a:tbl>${slide.table
          .map(
            (row) =>
              `<a:tr>${row.map((c) => `<a:tc><a:txBody><a:p><a:r><a:t>${esc(c)}</a:t></a:r></a:p></a:txBody></a:tc>`).join('')}</a:tr>`,
          )
          .join('')}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>`
      : '';
    zip.file(
      `ppt/slides/${file}`,
      `${XML}<p:sld ${A}><p:cSld><p:spTree>${shape('title', [slide.title])}${shape(undefined, slide.body ?? [])}${table}${shape('sldNum', [String(i + 1)])}</p:spTree></p:cSld></p:sld>`,
    );
    if (slide.notes) {
      zip.file(
        `ppt/slides/_rels/${file}.rels`,
        `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="notesSlide" Target="../notesSlides/notesSlide${n - i}.xml"/></Relationships>`,
      );
      zip.file(
        `ppt/notesSlides/notesSlide${n - i}.xml`,
        `${XML}<p:notes ${A}><p:cSld><p:spTree>${shape('sldImg', [])}${shape('body', [slide.notes])}</p:spTree></p:cSld></p:notes>`,
      );
    }
  });
  return zipped(zip);
}

/** `mimetype` first and stored, as OpenDocument and EPUB require. */
function packageZip(mimetype: string): JSZip {
  const zip = new JSZip();
  zip.file('mimetype', mimetype, { compression: 'STORE' });
  return zip;
}

export async function makeOdt(
  blocks: ({ h: string; level: number } | { p: string } | { row: string[] })[],
  options: { encrypted?: boolean } = {},
): Promise<Buffer> {
  const zip = packageZip('application/vnd.oasis.opendocument.text');
  const body = blocks
    .map((b) =>
      'h' in b
        ? `<text:h text:outline-level="${b.level}">${esc(b.h)}</text:h>`
        : 'p' in b
          ? `<text:p>${esc(b.p)}</text:p>`
          : `<table:table><table:table-row>${b.row.map((c) => `<table:table-cell><text:p>${esc(c)}</text:p></table:table-cell>`).join('')}</table:table-row></table:table>`,
    )
    .join('');
  zip.file(
    'content.xml',
    `${XML}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
  );
  zip.file(
    'META-INF/manifest.xml',
    `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">${options.encrypted ? '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>' : ''}</manifest:file-entry></manifest:manifest>`,
  );
  return zipped(zip);
}

/** Chapters listed in the manifest in reverse, in the spine in order: the spine decides. */
export async function makeEpub(chapters: { title: string; paragraphs: string[] }[]): Promise<Buffer> {
  const zip = packageZip('application/epub+zip');
  zip.file(
    'META-INF/container.xml',
    `${XML}<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
  );
  const items = chapters
    .map((_, i) => `<item id="c${i}" href="text/chapter${i}.xhtml" media-type="application/xhtml+xml"/>`)
    .reverse();
  zip.file(
    'OEBPS/content.opf',
    `${XML}<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>${items.join('')}</manifest><spine>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine></package>`,
  );
  chapters.forEach((c, i) => {
    zip.file(
      `OEBPS/text/chapter${i}.xhtml`,
      `${XML}<html xmlns="http://www.w3.org/1999/xhtml"><head><title>${esc(c.title)}</title></head><body><h1>${esc(c.title)}</h1>${c.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('')}</body></html>`,
    );
  });
  return zipped(zip);
}

export interface MailSpec {
  subject: string;
  text?: string;
  html?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
}

/** An RFC 5322 message; attachments base64-encoded in a multipart/mixed body. */
export function makeEml(mail: MailSpec): Buffer {
  const boundary = `b${Math.random().toString(36).slice(2)}`;
  const head = [
    'From: Anna Berg <anna@example.com>',
    'To: Team <team@example.com>',
    'Date: Mon, 07 Dec 2026 10:00:00 +0000',
    `Subject: ${mail.subject}`,
    'MIME-Version: 1.0',
  ];
  const body = mail.html
    ? { type: 'text/html; charset=utf-8', content: mail.html }
    : { type: 'text/plain; charset=utf-8', content: mail.text ?? '' };
  if (!mail.attachments?.length) {
    return Buffer.from([...head, `Content-Type: ${body.type}`, '', body.content, ''].join('\r\n'));
  }
  const parts = [
    `--${boundary}\r\nContent-Type: ${body.type}\r\n\r\n${body.content}\r\n`,
    ...mail.attachments.map(
      (a) =>
        `--${boundary}\r\nContent-Type: ${a.contentType}\r\nContent-Disposition: attachment; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${a.content
          .toString('base64')
          .replace(/.{76}/g, '$&\r\n')}\r\n`,
    ),
  ];
  return Buffer.from(
    [...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', ...parts, `--${boundary}--`, ''].join(
      '\r\n',
    ),
  );
}

/**
 * The envelope of a password-protected docx/xlsx/pptx: an OLE compound file whose
 * directory names an `EncryptedPackage` stream (only what detection and the parser look at).
 */
export function makeEncryptedOffice(): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  const directory = Buffer.alloc(512);
  Buffer.from('EncryptedPackage', 'utf16le').copy(directory, 128);
  Buffer.from('EncryptionInfo', 'utf16le').copy(directory, 256);
  return Buffer.concat([header, directory]);
}

/** A PDF with a standard security handler whose user password is not empty: readers must ask for it. */
export function makeEncryptedPdf(): Buffer {
  const hex = (n: number) => '<' + 'ab'.repeat(n) + '>';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
    `<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O ${hex(32)} /U ${hex(32)} >>`,
  ];
  return serializePdf(
    objects,
    ` /Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]`,
  );
}
