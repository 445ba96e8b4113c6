import t from 'tap';
import { chunkText, DEFAULT_PARSE_LIMITS, extractText, inspectArchive, ParseLimitError } from '../src/index.ts';
import { makeDocx, makeDocxBomb, makeDocxWithEntries, makeLongText, makeManyPagePdf } from './fixtures.ts';

const MiB = 1024 * 1024;

t.test('a docx that inflates to 300 MB is refused while inflating, at the limit', async (t) => {
  const bomb = await makeDocxBomb(300 * MiB);
  t.ok(bomb.length < 2 * MiB, `the bomb is small on the wire (${bomb.length} bytes)`);
  const rssBefore = process.memoryUsage().rss;
  await t.rejects(extractText(bomb, 'docx'), {
    name: 'ParseLimitError',
    code: 'PARSE_LIMIT_EXCEEDED',
    limit: 'inflated_bytes',
    max: DEFAULT_PARSE_LIMITS.maxInflatedBytes,
    message: /^PARSE_LIMIT_EXCEEDED: inflated_bytes >?\d+ \(limit 104857600 bytes\)$/,
  });
  // Inflated bytes are counted and dropped, never held: the 300 MB never reach memory.
  const grownMb = (process.memoryUsage().rss - rssBefore) / MiB;
  t.ok(grownMb < 150, `memory grew by ${grownMb.toFixed(0)} MB`);
});

t.test('the inflated-size budget counts real bytes, not the sizes the archive declares', async (t) => {
  const bomb = await makeDocxBomb(8 * MiB);
  // Lie in the central directory and the local header: every entry claims 100 bytes.
  const lying = Buffer.from(bomb);
  for (let at = lying.indexOf('PK\x01\x02'); at >= 0; at = lying.indexOf('PK\x01\x02', at + 4)) {
    lying.writeUInt32LE(100, at + 24);
  }
  for (let at = lying.indexOf('PK\x03\x04'); at >= 0; at = lying.indexOf('PK\x03\x04', at + 4)) {
    lying.writeUInt32LE(100, at + 22);
  }
  await t.rejects(inspectArchive(lying, { maxInflatedBytes: 4 * MiB, maxArchiveEntries: 10 }), {
    name: 'ParseLimitError',
    limit: 'inflated_bytes',
  });
  const summary = await inspectArchive(bomb, { maxInflatedBytes: 10 * MiB, maxArchiveEntries: 10 });
  t.equal(summary.entries, 3);
  t.ok(summary.inflatedBytes > 7 * MiB, 'an archive within budget is read through');
});

t.test('an archive with too many entries is refused', async (t) => {
  const many = await makeDocxWithEntries(5_001);
  await t.rejects(extractText(many, 'docx'), {
    code: 'PARSE_LIMIT_EXCEEDED',
    limit: 'archive_entries',
    message: /^PARSE_LIMIT_EXCEEDED: archive_entries 5001 \(limit 5000 entries\)$/,
  });
  t.equal(await extractText(await makeDocxWithEntries(50), 'docx'), 'Many parts.', 'a few parts are fine');
});

t.test('a PDF with more pages than the limit is refused before any page is read', async (t) => {
  await t.rejects(extractText(makeManyPagePdf(20_000), 'pdf'), {
    code: 'PARSE_LIMIT_EXCEEDED',
    limit: 'pdf_pages',
    message: /^PARSE_LIMIT_EXCEEDED: pdf_pages 20000 \(limit 2000 pages\)$/,
  });
  const text = await extractText(makeManyPagePdf(3, 'Short.'), 'pdf');
  t.equal(text, 'Short.\n\nShort.\n\nShort.');
});

t.test('extracted text beyond the limit is refused, for text and PDF alike', async (t) => {
  const limits = { ...DEFAULT_PARSE_LIMITS, maxTextChars: 1_000 };
  await t.rejects(extractText(makeLongText(5_000), 'txt', limits), {
    limit: 'text_chars',
    message: /^PARSE_LIMIT_EXCEEDED: text_chars 5000 \(limit 1000 characters\)$/,
  });
  await t.rejects(extractText(makeManyPagePdf(500, 'A line of text on every page.'), 'pdf', limits), {
    name: 'ParseLimitError',
    limit: 'text_chars',
  });
  t.ok(await extractText(await makeDocx(['Small enough.']), 'docx', limits));
});

t.test('chunking stops at the chunk limit', async (t) => {
  const text = makeLongText(200_000).toString();
  t.ok(chunkText(text, { chunkSize: 1000, chunkOverlap: 0 }).length > 100);
  t.throws(() => chunkText(text, { chunkSize: 1000, chunkOverlap: 0, maxChunks: 100 }), {
    name: 'ParseLimitError',
    message: /^PARSE_LIMIT_EXCEEDED: chunks >101 \(limit 100 chunks\)$/,
  });
  t.equal(chunkText('short text', { chunkSize: 1000, chunkOverlap: 0, maxChunks: 1 }).length, 1);
  t.type(new ParseLimitError('chunks', 2, 1), Error);
});
