/**
 * The coverage thresholds only mean something if the report sees each TypeScript file's
 * text: tap's coverage files hold tsx's source maps without it, and c8 then counts every
 * file as fully covered. restoreCoverageSources puts the text back from disk.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { restoreCoverageSources } from '../../../scripts/lib/coverage.ts';

t.test('missing sources come back from disk; present ones and unknown ones are left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lumikb-coverage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'module.ts');
  writeFileSync(source, 'export const answer: number = 42;\n');
  const url = pathToFileURL(source).href;
  const gone = pathToFileURL(join(dir, 'deleted.ts')).href;
  const coverageFile = join(dir, 'process-1.json');
  writeFileSync(
    coverageFile,
    JSON.stringify({
      result: [],
      'source-map-cache': {
        [url]: { lineLengths: [30], data: { version: 3, sources: [url], sourcesContent: null, mappings: '' } },
        [gone]: { lineLengths: [1], data: { version: 3, sources: [gone], sourcesContent: [null], mappings: '' } },
        'file:///kept.ts': {
          lineLengths: [1],
          data: { version: 3, sources: ['file:///kept.ts'], sourcesContent: ['kept'], mappings: '' },
        },
      },
    }),
  );
  writeFileSync(join(dir, 'notes.txt'), 'not a coverage file');

  t.equal(restoreCoverageSources(dir), 2, 'the two maps without text were filled');
  const cache = JSON.parse(readFileSync(coverageFile, 'utf8'))['source-map-cache'];
  t.same(cache[url].data.sourcesContent, ['export const answer: number = 42;\n'], 'the text of the file on disk');
  t.same(cache[gone].data.sourcesContent, [null], 'a file that is gone stays without text');
  t.same(cache['file:///kept.ts'].data.sourcesContent, ['kept'], 'text already there is kept');
  t.equal(restoreCoverageSources(dir), 1, 'a second pass only retries the file that is gone');
  t.equal(restoreCoverageSources(join(dir, 'absent')), 0, 'no coverage folder: nothing to do');
});
