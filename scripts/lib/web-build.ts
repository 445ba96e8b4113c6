/**
 * The web app's build, only when its sources changed: the hash of every file under web/
 * (but node_modules and dist) and the lockfile is kept in web/dist/.source-hash.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SKIP = new Set(['node_modules', 'dist', '.vite']);

export function webSourceHash(root: string): string {
  const web = join(root, 'web');
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(`${relative(web, path)}\n`).update(readFileSync(path));
    }
  };
  walk(web);
  hash.update(readFileSync(join(root, 'pnpm-lock.yaml')));
  return hash.digest('hex');
}

/** Whether web/dist is missing or was built from other sources. */
export function webBuildNeeded(root: string): boolean {
  const dist = join(root, 'web', 'dist');
  if (!existsSync(join(dist, 'index.html'))) return true;
  try {
    return readFileSync(join(dist, '.source-hash'), 'utf8').trim() !== webSourceHash(root);
  } catch {
    return true;
  }
}

/** `vite build` in web/ (directly, not through pnpm: one process less), then records the hash. */
export async function buildWeb(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  const web = join(root, 'web');
  const hash = webSourceHash(root);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(web, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], {
      cwd: web,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      text += c;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`web build failed:\n${text}`))));
  });
  writeFileSync(join(web, 'dist', '.source-hash'), `${hash}\n`);
}
