/** Uploaded file names keep no character that disguises them (finding 15 of issue 12). */
import t from 'tap';
import { cleanFilename } from '../src/documents/service.ts';
import { auth, buildTestApp, multipart, seedDefaultModels } from './helper.ts';

t.test('bidi overrides, invisible and control characters are removed from file names', async (t) => {
  const cases: [string, string][] = [
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['report\u2066\u2069\u200F.pdf', 'report.pdf'],
    ['zero\u200Bwidth\uFEFF.txt', 'zerowidth.txt'],
    ['line\u2028break\r\n.md', 'line break .md'],
    ['c1\u0085\u009Bcontrol.txt', 'c1 control.txt'],
    ['tab\tand  spaces .txt', 'tab and spaces .txt'],
    ['  padded  ', 'padded'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\notes.txt', 'notes.txt'],
    ['\u202E\u200B', 'document'],
    ['Cafe\u0301.txt', 'Café.txt'],
  ];
  // Labels spelled in ASCII: a raw U+2028 would split the TAP line itself.
  const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const [raw, expected] of cases) t.equal(cleanFilename(raw), expected, ascii(raw));
  t.equal(Array.from(cleanFilename('😀'.repeat(300))).length, 255, 'bounded without splitting a character');
});

t.test('an upload is stored and listed under the cleaned name', async (t) => {
  const built = await buildTestApp(t);
  await seedDefaultModels(built);
  const kb = (
    await built.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: auth(built.tokens.operator),
      payload: { name: 'Names' },
    })
  ).json();
  const body = multipart('invoice\u202Efdp.txt', 'The total is 42.');
  const res = await built.app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: { ...auth(built.tokens.operator), ...body.headers },
    payload: body.payload,
  });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().filename, 'invoicefdp.txt');
  const listed = await built.app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${kb.id}/documents`,
    headers: auth(built.tokens.operator),
  });
  t.same(
    listed.json().items.map((d: { filename: string }) => d.filename),
    ['invoicefdp.txt'],
  );
});
