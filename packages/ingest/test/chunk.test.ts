import t from 'tap';
import { chunkText } from '../src/chunk.ts';

const paragraph = (n: number) =>
  `Paragraph ${n} talks about topic ${n}. It has a second sentence with several words! And a third one? Yes.`;
const text = Array.from({ length: 40 }, (_, i) => paragraph(i)).join('\n\n');

t.test('chunks are exact slices with offsets, within size, covering the whole text', async (t) => {
  for (const [chunkSize, chunkOverlap] of [
    [200, 0],
    [200, 50],
    [500, 100],
    [120, 119],
    [1000, 200],
  ] as const) {
    const chunks = chunkText(text, { chunkSize, chunkOverlap });
    t.ok(chunks.length > 0);
    let covered = 0;
    chunks.forEach((c, i) => {
      t.equal(c.index, i);
      t.equal(c.text, text.slice(c.start, c.end), 'text is the slice at its offsets');
      t.ok(c.end - c.start <= chunkSize, 'never longer than chunk_size');
      t.ok(c.text.trim() === c.text && c.text.length > 0, 'no leading/trailing whitespace');
      t.ok(c.start <= covered || text.slice(covered, c.start).trim() === '', 'no text skipped between chunks');
      covered = Math.max(covered, c.end);
      if (i > 0) t.ok(c.start > chunks[i - 1]!.start, 'always moves forward');
    });
    t.equal(covered, text.length, `size ${chunkSize}/${chunkOverlap} reaches the end`);
  }
});

t.test('overlap repeats the end of the previous chunk, starting at a word', async (t) => {
  const chunks = chunkText(text, { chunkSize: 300, chunkOverlap: 80 });
  // ~4,300 characters in 300-character chunks: many pairs to check, not a vacuous loop.
  t.ok(chunks.length >= 15, `the text is cut into many chunks (got ${chunks.length})`);
  for (let i = 1; i < chunks.length; i++) {
    const prev = chunks[i - 1]!;
    const cur = chunks[i]!;
    t.ok(cur.start < prev.end, `chunk ${i} overlaps the previous one`);
    t.ok(/\s/.test(text[cur.start - 1] ?? ' '), `chunk ${i} starts at a word boundary`);
  }
});

t.test('prefers paragraph and sentence boundaries', async (t) => {
  const chunks = chunkText(text, { chunkSize: 250, chunkOverlap: 0 });
  t.ok(chunks.length >= 15, `the text is cut into many chunks (got ${chunks.length})`);
  for (const c of chunks.slice(0, -1)) t.match(c.text, /[.!?]$/, 'ends at the end of a sentence');
  t.ok(
    chunks.some((c) => text[c.end] === '\n'),
    'some chunks end exactly at a paragraph break',
  );
});

t.test('a text without spaces is still cut to size; short text is one chunk', async (t) => {
  const chunks = chunkText('x'.repeat(1050), { chunkSize: 100, chunkOverlap: 10 });
  t.ok(chunks.every((c) => c.text.length <= 100));
  t.equal(chunks.at(-1)!.end, 1050);
  t.same(chunkText('short', { chunkSize: 100, chunkOverlap: 10 }), [{ index: 0, start: 0, end: 5, text: 'short' }]);
  t.same(chunkText('   ', { chunkSize: 100, chunkOverlap: 10 }), []);
  t.throws(() => chunkText('x', { chunkSize: 100, chunkOverlap: 100 }), RangeError);
});
