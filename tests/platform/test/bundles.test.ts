/**
 * The bundles `pnpm start` runs a service from: rebuilt exactly when a source changed,
 * and a second entry a service declares (a worker thread, a child process) sits beside
 * server.js where the bundled code finds it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ensureBundle } from '../../../scripts/lib/bundles.ts';

function fixture(t: { teardown(fn: () => void): void }): { root: string; service: string } {
  const root = mkdtempSync(join(tmpdir(), 'lumikb-bundles-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const service = join(root, 'services', 'demo');
  mkdirSync(join(service, 'src'), { recursive: true });
  mkdirSync(join(root, 'packages', 'shared', 'src'), { recursive: true });
  writeFileSync(
    join(service, 'package.json'),
    JSON.stringify({
      name: 'demo',
      type: 'module',
      lumikb: { entryPoints: { 'sum-worker': '../../packages/shared/src/sum-worker.ts' } },
    }),
  );
  writeFileSync(join(root, 'packages', 'shared', 'src', 'greeting.ts'), "export const greeting: string = 'hello';\n");
  // Referenced the way the docs say: beside the module under tsx, beside server.js when bundled.
  writeFileSync(
    join(root, 'packages', 'shared', 'src', 'sum.ts'),
    [
      "import { Worker } from 'node:worker_threads';",
      "const entry = new URL(import.meta.url.endsWith('.ts') ? './sum-worker.ts' : './sum-worker.js', import.meta.url);",
      'export function sumInWorker(a: number, b: number): Promise<number> {',
      '  return new Promise((resolve, reject) => {',
      '    const worker = new Worker(entry, { workerData: [a, b] });',
      "    worker.once('message', resolve);",
      "    worker.once('error', reject);",
      '  });',
      '}',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'packages', 'shared', 'src', 'sum-worker.ts'),
    [
      "import { parentPort, workerData } from 'node:worker_threads';",
      'const [a, b] = workerData as [number, number];',
      'parentPort!.postMessage(a + b);',
    ].join('\n'),
  );
  writeFileSync(
    join(service, 'src', 'server.ts'),
    [
      "import { greeting } from '../../../packages/shared/src/greeting.ts';",
      "import { sumInWorker } from '../../../packages/shared/src/sum.ts';",
      "console.log(greeting + ' ' + (await sumInWorker(2, 3)));",
    ].join('\n'),
  );
  return { root, service };
}

const run = (service: string) =>
  execFileSync(process.execPath, ['.bundle/server.js'], { cwd: service, encoding: 'utf8' });

t.test('a bundle is built once, reused while its sources are unchanged, rebuilt when one changes', async (t) => {
  const { root, service } = fixture(t);
  t.equal((await ensureBundle(root, service)).built, true, 'the first start builds it');
  t.equal(run(service).trim(), 'hello 5', 'the bundle runs, its declared worker entry included');
  t.equal((await ensureBundle(root, service)).built, false, 'the next start reuses it');

  writeFileSync(join(root, 'packages', 'shared', 'src', 'greeting.ts'), "export const greeting: string = 'bonjour';\n");
  t.equal((await ensureBundle(root, service)).built, true, 'a changed source of an inlined package rebuilds it');
  t.equal(run(service).trim(), 'bonjour 5', 'and the new bundle has the change');
  t.equal((await ensureBundle(root, service)).built, false, 'then it is reused again');
});

t.test('a declared entry point must be a plain file name', async (t) => {
  const { root, service } = fixture(t);
  writeFileSync(
    join(service, 'package.json'),
    JSON.stringify({ name: 'demo', type: 'module', lumikb: { entryPoints: { '../escape': 'src/server.ts' } } }),
  );
  await t.rejects(ensureBundle(root, service), /lumikb\.entryPoints name "\.\.\/escape" is not a plain file name/);
});
