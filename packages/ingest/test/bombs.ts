/**
 * Hostile documents generated at test time (never stored): decompression bombs, archives
 * with too many entries, PDFs with many pages. Each is small on the wire and built fast.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '</Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '</Relationships>';
const DOCUMENT_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>';
const DOCUMENT_TAIL = '</w:body></w:document>';

function finish(zip: yazl.ZipFile): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (b: Buffer) => parts.push(b));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
    zip.end();
  });
}

/** One deflate segment that can be concatenated with others: a full flush resets the dictionary. */
const deflateSegment = (data: Buffer) => deflateRawSync(data, { level: 9, finishFlush: constants.Z_FULL_FLUSH });

/**
 * A zip of one deflated entry whose content is `head`, `block` × `repeat`, `tail`. The
 * block is compressed once and its bytes repeated (each segment ends in a full flush),
 * so a 300 MB entry takes milliseconds to build and is never held in memory.
 */
function bombZip(prefix: Buffer, name: string, parts: { head: Buffer; block: Buffer; repeat: number; tail: Buffer }) {
  const block = deflateSegment(parts.block);
  const compressed = Buffer.concat([
    deflateSegment(parts.head),
    ...Array.from({ length: parts.repeat }, () => block),
    deflateRawSync(parts.tail, { level: 9 }),
  ]);
  let crc = crc32(parts.head);
  for (let i = 0; i < parts.repeat; i++) crc = crc32(parts.block, crc);
  crc = crc32(parts.tail, crc);
  const size = parts.head.length + parts.block.length * parts.repeat + parts.tail.length;
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(prefix.length, 42); // offset of the local header
  return { entry: Buffer.concat([local, fileName, compressed]), central: Buffer.concat([central, fileName]) };
}

/**
 * A valid Word document whose `word/document.xml` inflates to about `inflatedBytes`
 * (a 300 MB one is about 1 MB on the wire), built with yazl around the bomb entry.
 */
export async function makeDocxBomb(inflatedBytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(CONTENT_TYPES), '[Content_Types].xml');
  zip.addBuffer(Buffer.from(RELS), '_rels/.rels');
  const small = await finish(zip);
  // Split yazl's archive at its central directory and splice the bomb entry in.
  const eocd = small.length - 22;
  const centralSize = small.readUInt32LE(eocd + 12);
  const centralStart = small.readUInt32LE(eocd + 16);
  const entries = small.subarray(0, centralStart);
  const paragraph = Buffer.from('<w:p><w:r><w:t>all work and no play makes a dull document </w:t></w:r></w:p>');
  const block = Buffer.alloc(paragraph.length * 13_000).fill(paragraph); // about 1 MB
  const bomb = bombZip(entries, 'word/document.xml', {
    head: Buffer.from(DOCUMENT_HEAD),
    block,
    repeat: Math.max(1, Math.round(inflatedBytes / block.length)),
    tail: Buffer.from(DOCUMENT_TAIL),
  });
  const central = Buffer.concat([small.subarray(centralStart, centralStart + centralSize), bomb.central]);
  const end = Buffer.from(small.subarray(eocd));
  end.writeUInt16LE(small.readUInt16LE(eocd + 8) + 1, 8);
  end.writeUInt16LE(small.readUInt16LE(eocd + 10) + 1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(entries.length + bomb.entry.length, 16);
  return Buffer.concat([entries, bomb.entry, central, end]);
}

/** A Word document with `entries` parts in all (most of them tiny and unused). */
export function makeDocxWithEntries(entries: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(CONTENT_TYPES), '[Content_Types].xml');
  zip.addBuffer(Buffer.from(RELS), '_rels/.rels');
  zip.addBuffer(
    Buffer.from(`${DOCUMENT_HEAD}<w:p><w:r><w:t>Many parts.</w:t></w:r></w:p>${DOCUMENT_TAIL}`),
    'word/document.xml',
  );
  for (let i = 3; i < entries; i++) zip.addBuffer(Buffer.from('x'), `customXml/item${i}.xml`, { compress: false });
  return finish(zip);
}

/** A PDF of `pages` pages that all share one content stream (one line of text each). */
export function makeManyPagePdf(pages: number, line = 'Page text.'): Buffer {
  const content = `BT /F1 12 Tf 72 720 Td (${line}) Tj ET`;
  const firstPage = 5;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${Array.from({ length: pages }, (_, i) => `${firstPage + i} 0 R`).join(' ')}] /Count ${pages} >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  for (let i = 0; i < pages; i++) {
    objects.push(
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>',
    );
  }
  const parts: string[] = ['%PDF-1.4\n'];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(length);
    const part = `${i + 1} 0 obj\n${o}\nendobj\n`;
    parts.push(part);
    length += part.length;
  });
  parts.push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  for (const o of offsets) parts.push(`${String(o).padStart(10, '0')} 00000 n \n`);
  parts.push(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

/** Plain text of about `bytes` bytes in short paragraphs (many chunks per megabyte). */
export function makeLongText(bytes: number): Buffer {
  const paragraph = 'A sentence about nothing in particular, repeated to fill the file.\n\n';
  return Buffer.from(paragraph.repeat(Math.ceil(bytes / paragraph.length)).slice(0, bytes));
}
