import t from 'tap';
import { DEFAULT_PARSE_LIMITS, extractText, ParseError } from '../src/index.ts';
import { makeDocx, makeHtml, makePdf } from './fixtures.ts';

t.test('txt and md keep their text, normalised', async (t) => {
  t.equal(
    await extractText(Buffer.from('\uFEFFline one  \r\nline two\r\n\r\n\r\n\r\nend\n'), 'txt'),
    'line one\nline two\n\nend',
  );
  t.equal(await extractText(Buffer.from('# Title\n\n- item'), 'md'), '# Title\n\n- item');
});

t.test('html yields the visible text only', async (t) => {
  const text = await extractText(
    makeHtml('Page title', ['Fish & chips cost < 6 euros.', 'Second   paragraph.']),
    'html',
  );
  t.match(text, /^Page title\n\nFish & chips cost < 6 euros\.\n\nSecond paragraph\.$/, text);
  t.notMatch(text, /do-not-index|color: red/, 'scripts and styles are not text');
});

t.test('pdf text is extracted page by page', async (t) => {
  const text = await extractText(
    makePdf(['Quarterly revenue grew by 12 percent.', 'Costs (mostly energy) fell.']),
    'pdf',
  );
  t.equal(text, 'Quarterly revenue grew by 12 percent.\nCosts (mostly energy) fell.');
});

t.test('docx paragraphs are extracted', async (t) => {
  const text = await extractText(
    await makeDocx(['The pump must be serviced yearly.', 'Use only original parts.']),
    'docx',
  );
  t.equal(text, 'The pump must be serviced yearly.\n\nUse only original parts.');
});

t.test('unreadable documents fail with a ParseError that says why', async (t) => {
  await t.rejects(extractText(Buffer.from('%PDF-1.4\ngarbage that is not a pdf'), 'pdf'), ParseError);
  await t.rejects(extractText(makePdf([]), 'pdf', { ...DEFAULT_PARSE_LIMITS, ocr: false }), {
    name: 'ParseError',
    code: 'NO_TEXT_LAYER',
    message: /no text layer .*OCR is not installed/,
  });
  await t.rejects(extractText(Buffer.from('PK\u0003\u0004 broken zip'), 'docx'), {
    name: 'ParseError',
    message: /Word document cannot be read/,
  });
  await t.rejects(extractText(Buffer.from('<html><script>x()</script></html>'), 'html'), {
    message: /contains no text/,
  });
});
