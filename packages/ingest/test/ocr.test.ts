/**
 * OCR of a scanned PDF, generated here: a text PDF rendered to a PNG and wrapped into an
 * image-only PDF (fixtures.ts, makeScannedPdf). With tesseract the page is read and keeps
 * its page number; without it (or with OCR switched off) the document fails with
 * NO_TEXT_LAYER and a message saying OCR is not installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLocation } from '@lumikb/contracts';
import t from 'tap';
import { DEFAULT_PARSE_LIMITS, extractDocument, ParseSandbox } from '../src/index.ts';
import { makeScannedPdf, ocrToolsMissing } from './fixtures.ts';

const missing = await ocrToolsMissing();
const LINES = ['Inspection report of the Kestrel pump station.', 'The valve gaskets were replaced in March.'];
const scan = missing ? Buffer.alloc(0) : await makeScannedPdf(LINES);

t.test('a scanned page is read by OCR and keeps its page number', { skip: missing }, async (t) => {
  const withoutOcr = await extractDocument(scan, 'pdf', { ...DEFAULT_PARSE_LIMITS, ocr: false }).catch((e) => e);
  t.equal(withoutOcr.code, 'NO_TEXT_LAYER', 'the generated PDF really has no text layer');

  const doc = await extractDocument(scan, 'pdf');
  t.match(doc.text, /Kestrel pump station/i, `OCR read the page: ${JSON.stringify(doc.text)}`);
  t.match(doc.text, /valve gaskets/i);
  t.same(
    doc.sections.map((s) => describeLocation(s.location)),
    ['p. 1'],
  );
  t.same(doc.notes, [], 'nothing is said to be skipped');
});

t.test(
  'on a machine without tesseract the scan fails with NO_TEXT_LAYER saying OCR is not installed',
  { skip: missing },
  async (t) => {
    // The sandbox's process inherits this PATH: an empty directory, so no tesseract or
    // pdftoppm (node itself is started by its absolute path).
    const path = process.env.PATH;
    const empty = mkdtempSync(join(tmpdir(), 'lumikb-no-ocr-'));
    t.teardown(() => rmSync(empty, { recursive: true, force: true }));
    process.env.PATH = empty;
    const sandbox = new ParseSandbox({ idleProcesses: 1 });
    t.teardown(() => sandbox.close());
    try {
      await t.rejects(sandbox.extractDocument(scan, 'pdf'), {
        name: 'ParseError',
        code: 'NO_TEXT_LAYER',
        message: /no text layer .*OCR is not installed on this machine \(install tesseract-ocr and poppler-utils/,
      });
    } finally {
      process.env.PATH = path;
    }
  },
);
