/**
 * `pnpm start` builds the web app only when its sources changed: a fresh checkout builds
 * it, an unchanged one does not, an edit under web/ (or a new lockfile) does again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { webBuildNeeded, webSourceHash } from '../../../scripts/lib/web-build.ts';

t.test('the web build runs when web/ or the lockfile changed, and only then', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lumikb-web-build-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'web', 'src'), { recursive: true });
  writeFileSync(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0\n');
  writeFileSync(join(root, 'web', 'index.html'), '<div id="root"></div>\n');
  writeFileSync(join(root, 'web', 'src', 'main.tsx'), 'export const page = 1;\n');
  t.equal(webBuildNeeded(root), true, 'never built: build');

  // What buildWeb leaves behind.
  const recordBuild = () => {
    mkdirSync(join(root, 'web', 'dist'), { recursive: true });
    writeFileSync(join(root, 'web', 'dist', 'index.html'), '<html></html>\n');
    writeFileSync(join(root, 'web', 'dist', '.source-hash'), `${webSourceHash(root)}\n`);
  };
  recordBuild();
  t.equal(webBuildNeeded(root), false, 'built from these sources: no build');

  writeFileSync(join(root, 'web', 'node_modules.txt'), 'x');
  t.equal(webBuildNeeded(root), true, 'a new file under web/: build');
  recordBuild();

  writeFileSync(join(root, 'web', 'src', 'main.tsx'), 'export const page = 2;\n');
  t.equal(webBuildNeeded(root), true, 'an edited source: build');
  recordBuild();

  mkdirSync(join(root, 'web', 'node_modules'), { recursive: true });
  writeFileSync(join(root, 'web', 'node_modules', 'dep.js'), 'x');
  t.equal(webBuildNeeded(root), false, 'node_modules is not a source');

  writeFileSync(join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0\n# other versions\n');
  t.equal(webBuildNeeded(root), true, 'another lockfile: build');
});
