/**
 * A scanned PDF (generated: a text PDF rendered by pdftoppm, wrapped image-only by
 * pdf-lib) through the whole pipeline. With OCR the document becomes READY and search
 * finds a word of the page with its page number; with OCR off it fails at the parse step
 * as NO_TEXT_LAYER, saying OCR is not installed. Skipped (saying why) where tesseract is
 * missing; .ci/run installs it and makes this file wait for that.
 */
import { makeScannedPdf, ocrToolsMissing } from '@lumikb/ingest/testing';
import { auth } from '@lumikb/knowledge-base/testing';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

const missing = await ocrToolsMissing();

t.test('a scanned PDF is read by OCR: READY, and search finds its words on page 1', { skip: missing }, async (t) => {
  const scan = await makeScannedPdf([
    'Maintenance log of the Ravnefjell tunnel.',
    'The ventilation fans were inspected by Sigrid Aasen.',
  ]);
  const { api, kb } = await startPipeline(t);
  const base = await api.createKb({ name: 'Scans' });
  const uploaded = await api.upload(base.id, 'tunnel-log.pdf', scan);
  t.equal(uploaded.format, 'pdf');
  // OCR of a page takes seconds, more on a busy machine.
  const doc = await api.waitForStatus(base.id, uploaded.id, ['READY', 'FAILED'], 120_000);
  t.equal(doc.status, 'READY', `the scan reaches READY (${JSON.stringify(doc.step_errors)})`);
  t.ok(doc.chunk_count >= 1);

  const found = await api.search({ query: 'Who inspected the ventilation fans?', kb_ids: [base.id], top_k: 3 });
  t.equal(found.statusCode, 200);
  const top = found.json().results[0];
  t.equal(top?.document_id, uploaded.id, 'the scan is the top hit');
  t.match(top?.text, /ventilation fans/i, `the hit holds the page's words: ${JSON.stringify(top?.text)}`);
  t.same(top?.location, { page: 1 }, 'the hit says page 1');

  const content = await kb.app.inject({
    method: 'GET',
    url: `/api/v1/knowledge-bases/${base.id}/documents/${uploaded.id}/content`,
    headers: auth(kb.tokens.operator),
  });
  t.equal(content.statusCode, 200);
  t.match(content.json().text, /Ravnefjell tunnel/i, 'the viewer shows the OCR text');
});

t.test(
  'with OCR off the same scan fails as NO_TEXT_LAYER, saying OCR is not installed',
  { skip: missing },
  async (t) => {
    const scan = await makeScannedPdf(['A page that nobody will read.']);
    const { api, kb } = await startPipeline(t, { workerEnv: { PARSE_OCR: 'false' } });
    const base = await api.createKb({ name: 'Scans without OCR' });
    const uploaded = await api.upload(base.id, 'scan.pdf', scan);
    const doc = await api.waitForStatus(base.id, uploaded.id, ['READY', 'FAILED'], 60_000);
    t.equal(doc.status, 'FAILED');
    t.match(doc.step_errors, { parse: /^NO_TEXT_LAYER: .*OCR is not installed/ });
    t.equal(await kb.deps.vectors.count(base.collection), 0, 'nothing is indexed');
  },
);
