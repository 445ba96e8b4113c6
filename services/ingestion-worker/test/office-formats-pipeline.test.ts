/**
 * The structured formats (spreadsheets, slides, e-books, mail, OpenDocument) through the
 * whole pipeline: upload → worker → READY → search, each hit carrying the location the
 * viewer shows (sheet and rows, slide, heading, attachment). The parsers themselves are
 * tested in packages/ingest; this proves the worker, the KB service and the index agree.
 */

import {
  makeEml,
  makeEncryptedOffice,
  makeEncryptedPdf,
  makeEpub,
  makeOdt,
  makePptx,
  makeXlsx,
} from '@lumikb/ingest/testing';
import { auth } from '@lumikb/knowledge-base/testing';
import t from 'tap';
import { startPipeline } from './pipeline-helper.ts';

const FILLER = 'General remarks about this file, its purpose and its readers, which carry nothing of substance.';

t.test('spreadsheets, slides, e-books, mail and ODT reach READY and are found with their location', async (t) => {
  const { api, kb } = await startPipeline(t);
  const base = await api.createKb({ name: 'Office', config_overrides: { chunk_size: 200, chunk_overlap: 40 } });

  const cases = [
    {
      format: 'xlsx',
      name: 'revenue.xlsx',
      bytes: await makeXlsx([
        { name: 'Notes', rows: [['Remark'], [FILLER]] },
        {
          name: 'Regions',
          rows: [
            ['Region', 'Revenue', 'Manager'],
            ['EMEA', 1200, 'Ingrid Halvorsen'],
            ['APAC', 950, 'Takeshi Moriyama'],
          ],
        },
      ]),
      query: 'Who manages the APAC region? Takeshi Moriyama',
      fact: /Takeshi Moriyama/,
      location: { sheet: 'Regions' },
      parts: [
        { location: { sheet: 'Notes', row_start: 1, row_end: 2 }, title: 'Remark' },
        { location: { sheet: 'Regions', row_start: 1, row_end: 3 }, title: 'Region, Revenue, Manager' },
      ],
    },
    {
      format: 'pptx',
      name: 'roadmap.pptx',
      bytes: await makePptx([
        { title: 'Welcome', body: [FILLER] },
        { title: 'Launch plan', body: ['The Kestrel satellite launches from Andøya spaceport in March.'] },
      ]),
      query: 'Where does the Kestrel satellite launch from?',
      fact: /Kestrel satellite launches from And/,
      // Short slides share a chunk: the hit's slide range must include slide 2.
      location: { slide: Number, slide_end: 2 },
      // Exactly one part per slide, though the slides share a chunk.
      parts: [
        { location: { slide: 1 }, title: 'Welcome' },
        { location: { slide: 2 }, title: 'Launch plan' },
      ],
    },
    {
      format: 'epub',
      name: 'guide.epub',
      bytes: await makeEpub([
        { title: 'Preface', paragraphs: [FILLER] },
        { title: 'Beekeeping', paragraphs: ['A healthy beehive in winter clusters around its queen to stay warm.'] },
      ]),
      query: 'How does a beehive stay warm in winter around the queen?',
      fact: /clusters around its queen/,
      location: {},
      parts: [
        { location: { headings: ['Preface'] }, title: 'Preface' },
        { location: { headings: ['Beekeeping'] }, title: 'Beekeeping' },
      ],
    },
    {
      format: 'eml',
      name: 'handover.eml',
      bytes: makeEml({
        subject: 'Handover of the lighthouse keys',
        text: `${FILLER}\n\nThe lighthouse keys are kept in the harbour master's red cabinet.`,
      }),
      query: 'Where are the lighthouse keys kept?',
      fact: /harbour master's red cabinet/,
      location: {},
      parts: [],
    },
    {
      format: 'odt',
      name: 'recipes.odt',
      bytes: await makeOdt([
        { h: 'Breads', level: 1 },
        { p: FILLER },
        { h: 'Sourdough', level: 2 },
        { p: 'Sourdough starter needs feeding with rye flour every twelve hours.' },
      ]),
      query: 'How often does sourdough starter need feeding with rye flour?',
      fact: /rye flour every twelve hours/,
      location: { headings: ['Breads', 'Sourdough'] },
      parts: [{ location: { headings: ['Breads'] }, title: 'Breads' }],
    },
  ] as const;

  const ids: string[] = [];
  for (const c of cases) {
    const uploaded = await api.upload(base.id, c.name, c.bytes);
    t.equal(uploaded.format, c.format, `${c.name} is recognised as ${c.format}`);
    ids.push(uploaded.id);
  }
  for (const [i, c] of cases.entries()) {
    const id = ids[i] as string;
    const doc = await api.waitForStatus(base.id, id, ['READY', 'FAILED']);
    t.equal(doc.status, 'READY', `${c.format} reaches READY (${JSON.stringify(doc.step_errors)})`);
    t.ok(doc.chunk_count >= 1, `${c.format}: ${doc.chunk_count} chunks`);

    const found = await api.search({ query: c.query, kb_ids: [base.id], top_k: 3 });
    t.equal(found.statusCode, 200);
    const top = found.json().results[0];
    t.equal(top?.document_id, id, `${c.format}: the top hit is ${c.name}`);
    t.match(top?.text, c.fact, `${c.format}: the hit holds the fact`);
    t.match(
      top?.location ?? {},
      c.location,
      `${c.format}: the hit says where it is (${JSON.stringify(top?.location)})`,
    );

    const content = await kb.app.inject({
      method: 'GET',
      url: `/api/v1/knowledge-bases/${base.id}/documents/${id}/content`,
      headers: auth(kb.tokens.operator),
    });
    t.equal(content.statusCode, 200);
    const body = content.json();
    t.same(body.chunks[top.chunk_index].location, top.location, `${c.format}: the viewer shows the same location`);
    t.same(
      body.parts.map((p: { location: unknown; title: string }) => ({ location: p.location, title: p.title })),
      c.parts,
      `${c.format}: the viewer lists the document's parts`,
    );
    for (const part of body.parts) {
      t.ok(
        body.text.slice(part.start_offset, part.end_offset).includes(part.title),
        `${c.format}: part "${part.title}" points at its text`,
      );
    }
  }
});

t.test('password-protected office files and PDFs are stored, then FAILED as ENCRYPTED_DOCUMENT', async (t) => {
  const { api, kb } = await startPipeline(t);
  for (const [name, bytes] of [
    ['budget.xlsx', makeEncryptedOffice()],
    ['deck.pptx', makeEncryptedOffice()],
    ['contract.pdf', makeEncryptedPdf()],
  ] as const) {
    // A KB each: the two office envelopes are the same bytes (a duplicate in one KB).
    const base = await api.createKb({ name: `Locked ${name}` });
    const uploaded = await api.upload(base.id, name, bytes);
    const doc = await api.waitForStatus(base.id, uploaded.id, ['READY', 'FAILED']);
    t.equal(doc.status, 'FAILED', `${name} fails`);
    t.match(
      doc.step_errors,
      { parse: /^ENCRYPTED_DOCUMENT: .*password-protected.*Permanent/ },
      `${name}: the reason says it is password-protected and will fail again`,
    );
    t.equal(await kb.deps.vectors.count(base.collection), 0, `${name}: nothing is indexed`);
  }
});
