#!/usr/bin/env node
/**
 * Behind `npm start` / `npm test` (and `pnpm start` / `pnpm test`): on a fresh machine with
 * only Node 20 it installs the pinned pnpm (from `packageManager`) when it is missing,
 * installs the workspace's dependencies when node_modules is missing or older than the
 * lockfile, then runs the command (scripts/start.ts or scripts/test.ts under tsx).
 * Plain Node with no dependencies, because nothing is installed yet when it runs.
 * (corepack cannot verify the registry's signatures on our machines, so npm installs pnpm.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COMMANDS = { start: 'scripts/start.ts', test: 'scripts/test.ts' };
const [command = 'start', ...args] = process.argv.slice(2);
if (!COMMANDS[command]) fail(`unknown command ${command}; known: ${Object.keys(COMMANDS).join(', ')}`);

const { packageManager } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const pnpmVersion = /^pnpm@([^+]+)/.exec(packageManager ?? '')?.[1];
if (!pnpmVersion) fail('package.json names no pnpm version in "packageManager"');

function run(cmd, cmdArgs, options = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.error) return { status: 127, error: result.error };
  return { status: result.signal ? 128 : (result.status ?? 1) };
}

function installedPnpm() {
  const probe = spawnSync('pnpm', ['--version'], { cwd: ROOT, encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

function fail(message) {
  process.stderr.write(`bootstrap: ${message}\n`);
  process.exit(1);
}

// Started by the pinned pnpm itself (`pnpm start`): no need to ask for its version.
const runByPnpm = (process.env.npm_config_user_agent ?? '').startsWith(`pnpm/${pnpmVersion} `);
const have = runByPnpm ? pnpmVersion : installedPnpm();
if (have !== pnpmVersion) {
  process.stdout.write(`bootstrap: installing pnpm ${pnpmVersion} (found ${have ?? 'none'}) with npm …\n`);
  if (run('npm', ['install', '--global', `pnpm@${pnpmVersion}`]).status !== 0) {
    fail(`could not install pnpm ${pnpmVersion}; run \`npm i -g pnpm@${pnpmVersion}\` (as root if npm needs it)`);
  }
  if (installedPnpm() !== pnpmVersion) fail(`pnpm ${pnpmVersion} is installed but another pnpm comes first on PATH`);
}

// pnpm writes node_modules/.modules.yaml at the end of every install, so it is newer
// than the lockfile exactly when the last install saw this lockfile.
const marker = join(ROOT, 'node_modules', '.modules.yaml');
const lockfile = join(ROOT, 'pnpm-lock.yaml');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lockfile).mtimeMs;
if (stale) {
  process.stdout.write('bootstrap: pnpm install --frozen-lockfile …\n');
  const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ?? '1' };
  if (run('pnpm', ['install', '--frozen-lockfile'], { env }).status !== 0) fail('pnpm install failed (see above)');
}

// The command gets Ctrl-C from the terminal itself; this process only waits for it and
// passes on a SIGTERM sent to it alone.
// tsx as a loader in this Node rather than its CLI, which starts a second Node process.
const child = spawn(process.execPath, ['--import', 'tsx', COMMANDS[command], ...args], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(signal ? 128 : (code ?? 1)));
