import t from 'tap';
import { detectFormat } from '../src/detect.ts';
import { makeDocx, makeHtml, makePdf, PNG_BYTES } from './fixtures.ts';

t.test('recognises every supported format by content', async (t) => {
  t.match(detectFormat(Buffer.from('plain words'), 'notes.txt'), {
    ok: true,
    format: 'txt',
    contentType: 'text/plain',
  });
  t.match(detectFormat(Buffer.from('# Title\n\ntext'), 'README.md'), { ok: true, format: 'md' });
  t.match(detectFormat(makeHtml('T', ['x']), 'page.html'), { ok: true, format: 'html' });
  t.match(detectFormat(makeHtml('T', ['x']), 'no-extension'), { ok: true, format: 'html' }, 'sniffed without a name');
  t.match(detectFormat(Buffer.from('just text'), 'no-extension'), { ok: true, format: 'txt' });
  t.match(detectFormat(makePdf(['a']), 'report.pdf'), { ok: true, format: 'pdf', contentType: 'application/pdf' });
  t.match(detectFormat(await makeDocx(['a']), 'letter.docx'), { ok: true, format: 'docx' });
  t.match(detectFormat(makePdf(['a']), 'no-extension'), { ok: true, format: 'pdf' }, 'content decides without a name');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo wörld', 'utf16le')]);
  t.match(detectFormat(utf16, 'u16.txt'), { ok: true, format: 'txt' });
});

t.test('refuses what is not a supported document, whatever its name', async (t) => {
  t.match(detectFormat(PNG_BYTES, 'image.pdf'), { ok: false, reason: 'unsupported', message: /PNG image/ });
  t.match(detectFormat(PNG_BYTES, 'image.txt'), { ok: false, reason: 'unsupported' });
  t.match(detectFormat(Buffer.from('not a pdf at all'), 'fake.pdf'), {
    ok: false,
    reason: 'unsupported',
    message: /named \.pdf but its content is not a PDF/,
  });
  t.match(detectFormat(Buffer.from('text'), 'fake.docx'), { ok: false, reason: 'unsupported' });
  t.match(detectFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3]), 'archive.docx'), {
    ok: false,
    message: /named \.docx but its content is a ZIP archive, not a Word document/,
  });
  t.match(detectFormat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2]), 'old.doc'), {
    ok: false,
    message: /legacy Office/,
  });
  t.match(detectFormat(Buffer.from([1, 2, 0, 4, 5, 0, 0, 0]), 'blob.txt'), { ok: false, message: /binary/ });
  t.match(detectFormat(await makeDocx(['a']), 'table.csv'), {
    ok: false,
    message: /named \.csv but its content is a Word document, not a CSV/,
  });
  t.match(detectFormat(makePdf(['a']), 'misnamed.txt'), { ok: false, message: /content is a PDF/ }, 'a PDF named .txt');
  t.match(detectFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3]), 'data.csv'), {
    ok: false,
    message: /named \.csv but its content is a ZIP archive/,
  });
  t.match(detectFormat(Buffer.from([0xc3, 0x28, 0x41]), 'bad-utf8.txt'), { ok: false, reason: 'unsupported' });
});

t.test('any text is accepted as text whatever its name; the name picks among text formats', async (t) => {
  for (const name of ['README.FHS', 'Makefile', 'app.conf', 'main.rs', 'data.json', 'values.yaml', 'pom.xml']) {
    t.match(detectFormat(Buffer.from('key = value\nmore text'), name), { ok: true, format: 'txt' }, name);
  }
  t.match(detectFormat(Buffer.from('a,b\n1,2'), 'table.csv'), { ok: true, format: 'csv', contentType: 'text/csv' });
  t.match(detectFormat(Buffer.from('a\tb\n1\t2'), 'table.tsv'), { ok: true, format: 'tsv' });
  const brokenCsv = Buffer.concat([
    Buffer.from('name,city\nAnna,'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('\nBob,Oslo\n'),
  ]);
  t.match(
    detectFormat(brokenCsv, 'broken.csv'),
    { ok: true, format: 'csv' },
    'a few broken bytes do not refuse a table',
  );
  const mail = 'From: anna@example.com\nTo: bob@example.com\nSubject: Hi\n\nBody';
  t.match(detectFormat(Buffer.from(mail), 'message'), { ok: true, format: 'eml' }, 'a mail without a name');
  t.match(detectFormat(Buffer.from(mail), 'message.eml'), { ok: true, format: 'eml' });
});

t.test('empty and whitespace-only files are "empty", not "unsupported"', async (t) => {
  t.match(detectFormat(Buffer.alloc(0), 'x.txt'), { ok: false, reason: 'empty' });
  t.match(detectFormat(Buffer.from('  \n\t \n'), 'x.md'), { ok: false, reason: 'empty' });
});
