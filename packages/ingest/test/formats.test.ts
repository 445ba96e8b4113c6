/**
 * The formats beyond txt/md/html/pdf/docx, each over files generated here: their text,
 * their structure (the locations chunks will carry) and what a reader is told was skipped.
 */
import { describeLocation, documentParts, partTitle } from '@lumikb/contracts';
import t from 'tap';
import { chunkDocument, DEFAULT_PARSE_LIMITS, detectFormat, extractDocument } from '../src/index.ts';
import {
  makeEml,
  makeEncryptedOffice,
  makeEncryptedPdf,
  makeEpub,
  makeOdt,
  makePdf,
  makePdfPages,
  makePptx,
  makeXlsx,
} from './fixtures.ts';

const locationsOf = (doc: Awaited<ReturnType<typeof extractDocument>>, size = 1000) =>
  chunkDocument(doc, { chunkSize: size, chunkOverlap: 0 }).map((c) => describeLocation(c.location));

t.test('CSV rows keep their column names and are chunked by row ranges, never splitting a row', async (t) => {
  const rows = ['Region,Revenue,Quarter', ...Array.from({ length: 40 }, (_, i) => `EMEA-${i},${i}.5M,Q${(i % 4) + 1}`)];
  const doc = await extractDocument(Buffer.from(rows.join('\n')), 'csv');
  t.match(doc.text, /^Table — columns: Region, Revenue, Quarter\nRegion: EMEA-0; Revenue: 0\.5M; Quarter: Q1\n/);
  const chunks = chunkDocument(doc, { chunkSize: 300, chunkOverlap: 50 });
  t.ok(chunks.length > 2, 'several chunks');
  for (const chunk of chunks) {
    t.ok(
      chunk.text.split('\n').every((line) => /^(Table|Region: EMEA-\d+; Revenue: [\d.]+M; Quarter: Q\d)/.test(line)),
      'whole rows only',
    );
  }
  t.equal(
    describeLocation(chunks[1]!.location),
    `rows ${chunks[1]!.location!.row_start}–${chunks[1]!.location!.row_end}`,
  );
  t.equal(chunks.at(-1)!.location!.row_end, 41, 'the last row is row 41 (the header is row 1)');
});

t.test(
  'a CSV with inconsistent columns or broken bytes is read as far as it is sound, and says what was skipped',
  async (t) => {
    const csv = Buffer.concat([
      Buffer.from('name,city\nAnna,Oslo\nBob,Bergen,extra,cells\nCleo,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\nDan,Tromsø\n'),
    ]);
    t.match(detectFormat(csv, 'people.csv'), { ok: true, format: 'csv' });
    const doc = await extractDocument(csv, 'csv');
    t.match(doc.text, /name: Anna; city: Oslo\nname: Dan; city: Tromsø/);
    t.notMatch(doc.text, /Bob: |name: Bob|Cleo/);
    t.match(
      doc.text,
      /Not read from this file: rows 3 skipped: more cells than the header has columns; rows 4 skipped: not valid UTF-8 text\.$/,
    );
    const tsv = await extractDocument(Buffer.from('a\tb\n1\t2\n'), 'tsv');
    t.match(tsv.text, /a: 1; b: 2/);
  },
);

t.test('XLSX: each sheet with its header, formulas by cached value, hidden sheets said so', async (t) => {
  const xlsx = await makeXlsx([
    {
      name: 'Sales',
      rows: [
        ['Region', 'Revenue'],
        ['EMEA', 1.2],
        ['APAC', { formula: 'B2*2', cached: 2.4 }],
        ['LATAM', { formula: 'B2+B3' }],
      ],
    },
    { name: 'Secret', hidden: true, rows: [['Key'], ['k-1']] },
  ]);
  t.match(detectFormat(xlsx, 'book.xlsx'), { ok: true, format: 'xlsx' });
  const doc = await extractDocument(xlsx, 'xlsx');
  t.match(
    doc.text,
    /Sheet Sales — columns: Region, Revenue\nRegion: EMEA; Revenue: 1\.2\nRegion: APAC; Revenue: 2\.4\nRegion: LATAM\n/,
  );
  t.notMatch(doc.text, /B2\*2/, 'the formula itself is not the value');
  t.match(doc.text, /Sheet Secret \(hidden sheet\) — columns: Key\nKey: k-1/);
  t.match(doc.notes, [/formulas without a saved value.*1 in Sales/]);
  t.same(locationsOf(doc), ['Sales rows 1–4', 'Secret rows 1–2', ''], 'row ranges per sheet (the note last)');
});

t.test('PPTX: slides in presentation order with titles, body, tables and speaker notes', async (t) => {
  const pptx = await makePptx([
    { title: 'Welcome', body: ['Agenda for today'], notes: 'Smile and greet.' },
    {
      title: 'Numbers',
      table: [
        ['Region', 'Revenue'],
        ['EMEA', '1.2M'],
      ],
    },
    { title: 'Close', body: ['Questions?'] },
  ]);
  t.match(detectFormat(pptx, 'deck.pptx'), { ok: true, format: 'pptx' });
  const doc = await extractDocument(pptx, 'pptx');
  t.match(
    doc.text,
    /^Slide 1: Welcome\nAgenda for today\nSpeaker notes: Smile and greet\.\n\nSlide 2: Numbers\nRegion \| Revenue\nEMEA \| 1\.2M\n\nSlide 3: Close\nQuestions\?$/,
  );
  t.notMatch(doc.text, /^\d$/m, 'slide numbers are not content');
  t.same(locationsOf(doc, 70), ['slide 1', 'slide 2', 'slide 3']);
  t.same(locationsOf(doc, 1000), ['slides 1–3'], 'small slides share a chunk, which says so');
});

t.test('ODT: headings make the heading path of their paragraphs', async (t) => {
  const odt = await makeOdt([
    { h: 'Installation', level: 1 },
    { p: 'Download the package.' },
    { h: 'Upgrading', level: 2 },
    { p: 'Stop the service first.' },
    { row: ['Version', 'Date'] },
  ]);
  t.match(detectFormat(odt, 'manual.odt'), { ok: true, format: 'odt' });
  const doc = await extractDocument(odt, 'odt');
  t.equal(doc.text, 'Installation\nDownload the package.\n\nUpgrading\nStop the service first.\n\nVersion | Date');
  t.same(locationsOf(doc), ['Installation', 'Installation › Upgrading']);
});

t.test('EPUB: chapters in spine order through the HTML extraction', async (t) => {
  const epub = await makeEpub([
    { title: 'Chapter One', paragraphs: ['It began.'] },
    { title: 'Chapter Two', paragraphs: ['It ended.'] },
  ]);
  t.match(detectFormat(epub, 'book.epub'), { ok: true, format: 'epub' });
  const doc = await extractDocument(epub, 'epub');
  t.match(doc.text, /Chapter One[\s\S]*It began\.[\s\S]*Chapter Two[\s\S]*It ended\./);
  t.same(locationsOf(doc, 30).filter(Boolean), ['Chapter One', 'Chapter Two']);
});

t.test('EML: headers, body and supported attachments as parts; a mail loop stops at the depth limit', async (t) => {
  const csv = Buffer.from('Item,Qty\nPump,2\n');
  const mail = makeEml({
    subject: 'Quarterly numbers',
    text: 'Numbers attached.',
    attachments: [
      { filename: 'stock.csv', contentType: 'text/csv', content: csv },
      { filename: 'photo.png', contentType: 'image/png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2]) },
    ],
  });
  const doc = await extractDocument(mail, 'eml');
  t.match(
    doc.text,
    /^From: Anna Berg <anna@example\.com>\nTo: Team <team@example\.com>\nDate: .*2026.*\nSubject: Quarterly numbers\n\nNumbers attached\.\n\nAttachment: stock\.csv\n\nTable — columns: Item, Qty\nItem: Pump; Qty: 2/,
  );
  t.match(doc.notes, [/photo\.png \(not a supported type\)/]);
  t.ok(locationsOf(doc, 30).includes('stock.csv · row 2'), 'attachment rows say which attachment');

  const html = await extractDocument(makeEml({ subject: 'HTML only', html: '<p>Hello <b>there</b></p>' }), 'eml');
  t.match(html.text, /Subject: HTML only\n\nHello there/);

  // A mail that carries itself, again and again: read down to the limit, then said so.
  let nested = makeEml({ subject: 'Level 0', text: 'innermost' });
  for (let level = 1; level <= 6; level++) {
    nested = makeEml({
      subject: `Level ${level}`,
      text: `body ${level}`,
      attachments: [{ filename: `level${level - 1}.eml`, contentType: 'message/rfc822', content: nested }],
    });
  }
  const loop = await extractDocument(nested, 'eml');
  t.match(loop.text, /Subject: Level 3/);
  t.notMatch(loop.text, /Subject: Level 2\b/, `no deeper than ${DEFAULT_PARSE_LIMITS.maxAttachmentDepth} levels`);
  t.match(loop.notes.join(), /level2\.eml \(attachments nested deeper than 3 levels\)/);
});

t.test('encrypted office files and PDFs fail as ENCRYPTED_DOCUMENT', async (t) => {
  const office = makeEncryptedOffice();
  for (const [name, format] of [
    ['secret.docx', 'docx'],
    ['secret.xlsx', 'xlsx'],
    ['secret.pptx', 'pptx'],
  ] as const) {
    t.match(detectFormat(office, name), { ok: true, format }, `${name} is stored, to fail with a reason`);
    await t.rejects(extractDocument(office, format), {
      name: 'ParseError',
      code: 'ENCRYPTED_DOCUMENT',
      message: /password-protected/,
    });
  }
  await t.rejects(extractDocument(await makeOdt([{ p: 'x' }], { encrypted: true }), 'odt'), {
    code: 'ENCRYPTED_DOCUMENT',
  });
  await t.rejects(extractDocument(makeEncryptedPdf(), 'pdf'), {
    code: 'ENCRYPTED_DOCUMENT',
    message: /PDF is password-protected/,
  });
});

t.test('PDF pages carry their page; headings of Markdown their path', async (t) => {
  const pdf = await extractDocument(makePdf(['Only page.']), 'pdf');
  t.same(locationsOf(pdf), ['p. 1']);
  const md = await extractDocument(
    Buffer.from('# Installation\n\nGet it.\n\n## Upgrading\n\nStop it.\n\n```\n# not a heading\n```\n'),
    'md',
  );
  t.same(locationsOf(md), ['Installation', 'Installation › Upgrading']);
  t.match(md.text, /^# Installation\n\nGet it\.\n\n## Upgrading\n\nStop it\.\n\n```\n# not a heading\n```$/);
});

t.test('budgets hold for the new formats: a workbook past the inflated-bytes limit stops', async (t) => {
  const big = await makeXlsx([
    { name: 'Big', rows: Array.from({ length: 2000 }, (_, i) => [`row ${i} ${'x'.repeat(200)}`]) },
  ]);
  await t.rejects(extractDocument(big, 'xlsx', { ...DEFAULT_PARSE_LIMITS, maxInflatedBytes: 50_000 }), {
    name: 'ParseLimitError',
    limit: 'inflated_bytes',
  });
  await t.rejects(extractDocument(big, 'xlsx', { ...DEFAULT_PARSE_LIMITS, maxTextChars: 10_000 }), {
    name: 'ParseLimitError',
    limit: 'text_chars',
  });
});

t.test(
  "the viewer's parts: one per slide, page, sheet (with its rows) and attachment, titled by its first line",
  async (t) => {
    const partsOf = (doc: Awaited<ReturnType<typeof extractDocument>>) =>
      documentParts(doc.sections.map((s) => [s.start, s.end, s.location])).map(([start, end, location]) => [
        describeLocation(location),
        partTitle(doc.text.slice(start, end), location),
      ]);
    const deck = await extractDocument(
      await makePptx([
        { title: 'Welcome', body: ['Agenda'] },
        { title: 'Numbers', body: ['Up 3 %'] },
      ]),
      'pptx',
    );
    t.same(partsOf(deck), [
      ['slide 1', 'Welcome'],
      ['slide 2', 'Numbers'],
    ]);
    const book = await extractDocument(
      await makeXlsx([
        {
          name: 'Sales',
          rows: [
            ['Region', 'Revenue'],
            ['EMEA', 1],
            ['APAC', 2],
          ],
        },
        { name: 'Staff', rows: [['Name'], ['Anna']] },
      ]),
      'xlsx',
    );
    t.same(partsOf(book), [
      ['Sales rows 1–3', 'Region, Revenue'],
      ['Staff rows 1–2', 'Name'],
    ]);
    const pdf = await extractDocument(makePdfPages([['First page text.'], ['Second page text.']]), 'pdf');
    t.same(partsOf(pdf), [
      ['p. 1', 'First page text.'],
      ['p. 2', 'Second page text.'],
    ]);
    const mail = await extractDocument(
      makeEml({
        subject: 'Files',
        text: 'See attached.',
        attachments: [
          { filename: 'stock.csv', contentType: 'text/csv', content: Buffer.from('Item,Qty\nPump,2\n') },
          {
            filename: 'deck.pptx',
            contentType: 'application/octet-stream',
            content: await makePptx([{ title: 'Hi' }]),
          },
        ],
      }),
      'eml',
    );
    t.same(partsOf(mail), [
      ['stock.csv', 'stock.csv'],
      ['deck.pptx', 'deck.pptx'],
    ]);
    // Text stored before parts were: parts from the chunks' locations (a chunk spanning slides is one part).
    t.same(
      documentParts([
        [0, 10, { slide: 1, slide_end: 2 }],
        [10, 20, { slide: 3 }],
        [20, 30, { sheet: 'A', row_start: 1, row_end: 5 }],
        [30, 40, { sheet: 'A', row_start: 6, row_end: 9 }],
        [40, 45],
      ]),
      [
        [0, 10, { slide: 1, slide_end: 2 }],
        [10, 20, { slide: 3 }],
        [20, 40, { sheet: 'A', row_start: 1, row_end: 9 }],
      ],
    );
  },
);
