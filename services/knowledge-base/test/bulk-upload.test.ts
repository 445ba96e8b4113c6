/**
 * Bulk import: several files in one multipart request, one result per file in the order
 * sent (its document, or the error a single upload would get); refused files store
 * nothing, the others are stored; with an Idempotency-Key the whole request is replayed.
 */
import { randomUUID } from 'node:crypto';
import { sql } from '@lumikb/db';
import { PNG_BYTES } from '@lumikb/ingest/testing';
import type { Teardown } from '@lumikb/test-kit';
import t from 'tap';
import { auth, buildTestApp, seedDefaultModels } from './helper.ts';

function multipartFiles(files: [string, Buffer | string][]) {
  const boundary = `----lumikb${randomUUID().replaceAll('-', '')}`;
  const parts = files.map(([name, content]) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      Buffer.isBuffer(content) ? content : Buffer.from(content),
      Buffer.from('\r\n'),
    ]),
  );
  return {
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

async function setup(t: Teardown, maxUploadBytes = 1024) {
  const built = await buildTestApp(t, { MAX_UPLOAD_BYTES: String(maxUploadBytes) });
  await seedDefaultModels(built);
  const kb = (
    await built.app.inject({
      method: 'POST',
      url: '/api/v1/knowledge-bases',
      headers: auth(built.tokens.operator),
      payload: { name: 'Import' },
    })
  ).json();
  const bulk = (files: [string, Buffer | string][], headers: Record<string, string> = {}) => {
    const body = multipartFiles(files);
    return built.app.inject({
      method: 'POST',
      url: `/api/v1/knowledge-bases/${kb.id}/documents/bulk`,
      headers: { ...auth(built.tokens.operator), ...body.headers, ...headers },
      payload: body.payload,
    });
  };
  const stored = async () => ({
    documents: (await built.deps.db.db.selectFrom('documents').select('id').execute()).length,
    blobs: Number(
      (await sql<{ n: string }>`select count(*) as n from pg_largeobject_metadata`.execute(built.deps.db.db)).rows[0]!
        .n,
    ),
  });
  return { ...built, kb, bulk, stored };
}

t.test('each file gets its own result; refused files store nothing', async (t) => {
  const { bulk, stored } = await setup(t);
  const before = await stored();
  const res = await bulk([
    ['pumps.txt', 'Pumps move fluids.'],
    ['valves.md', '# Valves\nThey open and close.'],
    ['photo.png', PNG_BYTES],
    ['pumps-again.txt', 'Pumps move fluids.'],
    ['huge.txt', 'x'.repeat(2048)],
    ['empty.txt', ''],
  ]);
  t.equal(res.statusCode, 207, 'some files were refused');
  const body = res.json();
  t.equal(body.created, 2);
  t.equal(body.failed, 4);
  t.same(
    body.items.map((i: { index: number; filename: string; status: number; error: { code: string } | null }) => [
      i.index,
      i.filename,
      i.status,
      i.error?.code ?? null,
    ]),
    [
      [0, 'pumps.txt', 201, null],
      [1, 'valves.md', 201, null],
      [2, 'photo.png', 415, 'UNSUPPORTED_FILE_TYPE'],
      [3, 'pumps-again.txt', 409, 'DUPLICATE_DOCUMENT'],
      [4, 'huge.txt', 413, 'FILE_TOO_LARGE'],
      [5, 'empty.txt', 400, 'EMPTY_FILE'],
    ],
  );
  t.equal(body.items[0].document.status, 'PENDING', 'a stored file is queued like a single upload');
  t.equal(body.items[3].error.details.document_id, body.items[0].document.id, 'the duplicate names the stored one');
  t.same(await stored(), { documents: before.documents + 2, blobs: before.blobs + 2 }, 'two documents, two blobs');
});

t.test(
  'many small files (stored several at a time) and a large one (streamed) keep request order and duplicates',
  async (t) => {
    const { bulk, stored, deps } = await setup(t, 2 * 1024 * 1024);
    const before = await stored();
    const large = Buffer.from(`${'A long manual line about pump maintenance.\n'.repeat(12_000)}`);
    t.ok(large.length > 256 * 1024, 'the large file is over the in-memory threshold');
    const files: [string, Buffer | string][] = Array.from({ length: 24 }, (_, i) => [`note-${i}.txt`, `Note ${i}.`]);
    files[7] = ['note-7.txt', 'Note 2.']; // the bytes of note-2: the later one is the duplicate
    files[12] = ['manual.txt', large];
    files[20] = ['manual-again.txt', large];
    const res = await bulk(files);
    t.equal(res.statusCode, 207);
    const items = res.json().items as { index: number; filename: string; status: number; document: { id: string } }[];
    t.same(
      items.map((i) => [i.index, i.filename, i.status]),
      files.map(([name], i) => [i, name, i === 7 || i === 20 ? 409 : 201]),
      'one result per file, in the order sent; the later copies are the duplicates',
    );
    t.equal(res.json().created, 22);
    const rows = await deps.db.db.selectFrom('documents').select(['id', 'filename', 'size_bytes']).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const item of items.filter((i) => i.status === 201)) {
      t.equal(byId.get(item.document.id)?.filename, item.filename, `${item.filename} stored under its own document`);
    }
    t.equal(Number(byId.get(items[12]!.document.id)?.size_bytes), large.length, 'the large file arrived whole');
    t.same(await stored(), { documents: before.documents + 22, blobs: before.blobs + 22 });
  },
);

t.test('all stored → 201; no file → 400', async (t) => {
  const { bulk, app, kb, tokens } = await setup(t);
  const all = await bulk([
    ['a.txt', 'First file.'],
    ['b.txt', 'Second file.'],
    ['c.txt', 'Third file.'],
  ]);
  t.equal(all.statusCode, 201);
  t.equal(all.json().created, 3);
  const none = await app.inject({
    method: 'POST',
    url: `/api/v1/knowledge-bases/${kb.id}/documents/bulk`,
    headers: { ...auth(tokens.operator), 'content-type': 'multipart/form-data; boundary=x' },
    payload: Buffer.from('--x--\r\n'),
  });
  t.equal(none.statusCode, 400);
  t.equal(none.json().code, 'FILE_MISSING');
});

t.test('a retried bulk import with its Idempotency-Key replays the first result', async (t) => {
  const { bulk, stored } = await setup(t);
  const files: [string, string][] = [
    ['one.txt', 'One.'],
    ['two.txt', 'Two.'],
  ];
  const first = await bulk(files, { 'idempotency-key': 'import-7' });
  t.equal(first.statusCode, 201);
  const after = await stored();
  const retry = await bulk(files, { 'idempotency-key': 'import-7' });
  t.equal(retry.statusCode, 201);
  t.same(retry.json(), first.json(), 'the same documents');
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(await stored(), after, 'nothing new stored by the retry');
  const changed = await bulk([['three.txt', 'Three.']], { 'idempotency-key': 'import-7' });
  t.equal(changed.statusCode, 422);
  t.same(await stored(), after);
});
