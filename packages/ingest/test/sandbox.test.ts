import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import t from 'tap';
import { chunkText, DEFAULT_PARSE_LIMITS, extractText, ParseSandbox } from '../src/index.ts';
import { makeDocx, makeLongText, makeManyPagePdf, makePdf } from './fixtures.ts';

// One sandbox for the ordinary requests: its process (and pdf.js in it) is loaded once.
const shared = new ParseSandbox({ limits: { ...DEFAULT_PARSE_LIMITS, maxChunks: 50 }, idleProcesses: 1 });
t.teardown(() => shared.close());

t.test('the sandbox extracts and chunks exactly as in-process parsing does, reusing its process', async (t) => {
  const docx = await makeDocx(['The pump must be serviced yearly.', 'Use only original parts.']);
  const text = await shared.extract(docx, 'docx');
  t.equal(text, await extractText(docx, 'docx'));
  t.equal(await shared.extract(makePdf(['Page one.']), 'pdf'), 'Page one.');
  const long = makeLongText(10_000).toString();
  const options = { chunkSize: 500, chunkOverlap: 50 };
  t.same(await shared.chunk(long, options), chunkText(long, options));
  t.equal(shared.processes, 1, 'one process served every request');
});

t.test('document errors cross the process boundary as ParseErrors with their code', async (t) => {
  await t.rejects(shared.extract(Buffer.from('%PDF-1.4\ngarbage that is not a pdf'), 'pdf'), {
    name: 'ParseError',
    code: 'UNREADABLE_DOCUMENT',
    message: /The PDF cannot be read/,
  });
  await t.rejects(shared.extract(makeManyPagePdf(20_000), 'pdf'), {
    name: 'ParseLimitError',
    message: 'PARSE_LIMIT_EXCEEDED: pdf_pages 20000 (limit 2000 pages)',
  });
  await t.rejects(shared.chunk(makeLongText(100_000).toString(), { chunkSize: 1000, chunkOverlap: 0 }), {
    name: 'ParseLimitError',
    limit: 'chunks',
  });
  t.equal(shared.processes, 1, 'a refused document does not cost the process');
});

t.test('a parse that outgrows its heap ends with PARSE_LIMIT_EXCEEDED and a fresh process takes over', async (t) => {
  const sandbox = new ParseSandbox({ memoryMb: 48, idleProcesses: 1 });
  t.teardown(() => sandbox.close());
  // Within every size budget, but millions of elements make millions of text pieces.
  const page = Buffer.from(`<!DOCTYPE html><body>${'<p>x</p>'.repeat(2_000_000)}</body>`);
  await t.rejects(sandbox.extract(page, 'html'), {
    name: 'ParseLimitError',
    limit: 'memory_mb',
    message: 'PARSE_LIMIT_EXCEEDED: memory_mb >48 (limit 48 MB of heap)',
  });
  t.equal(await sandbox.extract(Buffer.from('still working'), 'txt'), 'still working');
});

t.test('a parse that outlasts its time limit is stopped and a fresh process takes over', async (t) => {
  const sandbox = new ParseSandbox({ timeoutMs: 300, idleProcesses: 1 });
  t.teardown(() => sandbox.close());
  // 1,999 pages are within the page budget; reading them takes seconds.
  await t.rejects(sandbox.extract(makeManyPagePdf(1_999), 'pdf'), {
    name: 'ParseLimitError',
    limit: 'time_ms',
    message: /^PARSE_LIMIT_EXCEEDED: time_ms >\d+ \(limit 300 ms\)$/,
  });
  t.equal(await sandbox.extract(Buffer.from('still working'), 'txt'), 'still working');
});

t.test('the bundled parse-worker, as pnpm build emits it, works like the source', async (t) => {
  // Built as scripts/build.ts does (workspace code inlined, packages left to node_modules),
  // into this package so that its node_modules resolve as they do beside a deployed bundle.
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'parse-worker.js');
  await build({
    entryPoints: [fileURLToPath(new URL('../src/parse-worker.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // As scripts/build.ts: workspace packages inlined, third-party ones left to node_modules.
    plugins: [
      {
        name: 'external-third-party',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@lumikb/') || args.kind === 'entry-point'
              ? undefined
              : { path: args.path, external: true },
          );
        },
      },
    ],
    logLevel: 'warning',
  });
  const sandbox = new ParseSandbox({ workerPath: outfile, idleProcesses: 1 });
  t.teardown(() => sandbox.close());
  t.equal(await sandbox.extract(makePdf(['From the bundle.']), 'pdf'), 'From the bundle.');
  await t.rejects(sandbox.extract(makeManyPagePdf(20_000), 'pdf'), { name: 'ParseLimitError', limit: 'pdf_pages' });
});

t.test('small plain text is parsed and chunked in this process, with the same results and errors', async (t) => {
  const inline = new ParseSandbox({ limits: { ...DEFAULT_PARSE_LIMITS, maxChunks: 50 }, inlineMaxBytes: 4_096 });
  t.teardown(() => inline.close());
  const small = Buffer.from('The pump must be serviced yearly.\n\nUse only original parts.');
  t.same(await inline.extractDocument(small, 'txt'), await shared.extractDocument(small, 'txt'));
  const text = makeLongText(3_000).toString();
  const options = { chunkSize: 200, chunkOverlap: 20 };
  t.same(await inline.chunk(text, options), await shared.chunk(text, options));
  await t.rejects(inline.extract(Buffer.from('  \n\n '), 'txt'), { name: 'ParseError', message: /no text/ });
  await t.rejects(inline.chunk(makeLongText(4_000).toString(), { chunkSize: 50, chunkOverlap: 0 }), {
    name: 'ParseLimitError',
    limit: 'chunks',
  });
  t.equal(inline.processes, 0, 'no sandbox process was started for them');
  // Larger texts, and every other format, still go to a sandbox process.
  t.equal(await inline.extract(makePdf(['Page one.']), 'pdf'), 'Page one.');
  t.equal(inline.processes, 1);
});
