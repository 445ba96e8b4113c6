/**
 * Upload → worker → READY → search, for every supported format, with the knowledge-base
 * service and the worker running together on real Postgres and NATS.
 */

import { makeDocx, makeHtml, makePdf } from '@lumikb/ingest/testing';
import { auth } from '@lumikb/knowledge-base/testing';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

const FILLER =
  'This section holds general remarks about the document, its purpose and its audience. ' +
  'Readers may skip it without losing anything of substance.';

const FACTS = {
  txt: 'Giraffes in the Serengeti sleep only thirty minutes per day, standing upright near acacia trees.',
  md: 'The Krakatoa eruption of 1883 produced the loudest sound in recorded history, heard four thousand kilometres away.',
  html: 'The Ottoman sultan commissioned the Topkapi palace kitchens to feed four thousand courtiers every single day.',
  pdf: 'Photosynthesis in cyanobacteria converts sunlight into chemical energy stored as glucose molecules.',
  docx: 'Submarine cables across the Atlantic carry most transoceanic internet traffic between the continents.',
} as const;

const QUESTIONS = {
  txt: 'How long do giraffes sleep in the Serengeti?',
  md: 'What was the loudest sound in recorded history, the Krakatoa eruption?',
  html: 'How many courtiers did the Topkapi palace kitchens feed?',
  pdf: 'How do cyanobacteria convert sunlight into chemical energy by photosynthesis?',
  docx: 'What carries transoceanic internet traffic across the Atlantic? Submarine cables?',
} as const;

t.test('every format is processed to READY and found by search with the right citation', async (t) => {
  const { api, kb } = await startPipeline(t);
  const base = await api.createKb({ name: 'Formats', config_overrides: { chunk_size: 200, chunk_overlap: 40 } });

  const files: Record<keyof typeof FACTS, { name: string; bytes: Buffer }> = {
    txt: { name: 'animals.txt', bytes: Buffer.from(`${FILLER}\n\n${FACTS.txt}\n\n${FILLER}`) },
    md: { name: 'volcanoes.md', bytes: Buffer.from(`# Volcano notes\n\n${FILLER}\n\n${FACTS.md}\n\n- ${FILLER}`) },
    html: { name: 'palace.html', bytes: makeHtml('Palace history', [FILLER, FACTS.html, FILLER]) },
    pdf: { name: 'biology.pdf', bytes: makePdf([FILLER.slice(0, 80), FACTS.pdf, FILLER.slice(0, 80)]) },
    docx: { name: 'cables.docx', bytes: await makeDocx([FILLER, FACTS.docx, FILLER]) },
  };
  const docs: Partial<Record<keyof typeof FACTS, string>> = {};
  for (const [format, file] of Object.entries(files) as [keyof typeof FACTS, { name: string; bytes: Buffer }][]) {
    const uploaded = await api.upload(base.id, file.name, file.bytes);
    t.equal(uploaded.status, 'PENDING', `${format} is accepted as PENDING`);
    t.equal(uploaded.format, format, `${format} is recognised as ${format}`);
    docs[format] = uploaded.id;
  }

  for (const format of Object.keys(FACTS) as (keyof typeof FACTS)[]) {
    const doc = await api.waitForStatus(base.id, docs[format]!, ['READY', 'FAILED']);
    t.equal(doc.status, 'READY', `${format} reaches READY (${JSON.stringify(doc.step_errors)})`);
    t.ok(doc.chunk_count > 1, `${format} was split into ${doc.chunk_count} chunks`);
    const steps = doc.processing_steps as Record<string, { status: string; started_at: string; completed_at: string }>;
    for (const step of ['upload', 'parse', 'chunk', 'embed', 'index']) {
      t.equal(steps[step]?.status, 'done', `${format}: step ${step} done`);
      t.ok(steps[step]?.completed_at && steps[step].started_at <= steps[step].completed_at, `${format}: ${step} timed`);
    }
    t.equal(doc.current_step, null);

    const found = await api.search({ query: QUESTIONS[format], kb_ids: [base.id], top_k: 3 });
    t.equal(found.statusCode, 200, 'search answers');
    const top = found.json().results[0];
    t.equal(top.document_id, docs[format], `${format}: the top hit is the ${format} document`);
    t.equal(top.kb_id, base.id);
    t.equal(top.kb_name, 'Formats');
    t.equal(top.document_name, files[format].name);
    t.match(top.text, FACTS[format].slice(0, 40), `${format}: the cited chunk holds the fact`);

    const content = await kb.app.inject({
      method: 'GET',
      url: `/api/v1/knowledge-bases/${base.id}/documents/${docs[format]}/content`,
      headers: auth(kb.tokens.operator),
    });
    t.equal(content.statusCode, 200);
    const body = content.json();
    t.equal(body.chunks.length, doc.chunk_count, `${format}: the viewer shows every chunk`);
    t.equal(
      body.text.slice(top.start_offset, top.end_offset),
      top.text,
      `${format}: citation offsets point at the text`,
    );
    t.same(body.chunks[top.chunk_index].text, top.text, `${format}: citation chunk index matches the viewer`);
    t.same(top.location, body.chunks[top.chunk_index].location, `${format}: search and viewer give one location`);
    if (format === 'pdf') t.same(top.location, { page: 1 }, 'a PDF passage says its page');
    if (format === 'md') t.same(top.location?.headings, ['Volcano notes'], 'a Markdown passage says its heading');
    t.notMatch(body.text, /do-not-index/, 'scripts never reach the index');
  }

  const count = await kb.deps.vectors.count(base.collection);
  const total = (await Promise.all(Object.values(docs).map((id) => api.document(base.id, id!)))).reduce(
    (n, d) => n + d.chunk_count,
    0,
  );
  t.equal(count, total, 'the collection holds exactly the chunks the documents report');
});

t.test('a parse failure ends FAILED at the parse step with the reason, and nothing is indexed', async (t) => {
  // Without OCR (as on a machine without tesseract): the reason says OCR is not installed.
  const { api, kb } = await startPipeline(t, { workerEnv: { PARSE_OCR: 'false' } });
  const base = await api.createKb({ name: 'Scans' });
  const scanned = await api.upload(base.id, 'scan.pdf', makePdf([]));
  const doc = await api.waitForStatus(base.id, scanned.id, ['READY', 'FAILED']);
  t.equal(doc.status, 'FAILED');
  t.equal(doc.current_step, 'parse');
  t.match(doc.step_errors, { parse: /^NO_TEXT_LAYER: .*OCR is not installed.*Permanent/ });
  t.match(doc.processing_steps, {
    upload: { status: 'done' },
    parse: { status: 'error' },
    chunk: { status: 'skipped' },
    embed: { status: 'skipped' },
    index: { status: 'skipped' },
  });
  t.equal(doc.chunk_count, 0);
  t.equal(await kb.deps.vectors.count(base.collection), 0);
});
