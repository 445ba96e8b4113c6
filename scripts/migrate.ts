/** `pnpm migrate`: creates the database if needed, then migrates every service's schema. */
import { spawnSync } from 'node:child_process';
import { ensureDatabaseExists } from '@lumikb/db';
import { ROOT } from './lib/stack.ts';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/lumikb';
try {
  if (await ensureDatabaseExists(url)) process.stdout.write('created the database\n');
} catch (error) {
  process.stderr.write(`cannot reach PostgreSQL: ${(error as Error).message}\n`);
  process.exit(1);
}
const run = spawnSync('pnpm', ['-r', '--workspace-concurrency=1', '--silent', 'run', 'migrate'], {
  cwd: ROOT,
  env: { ...process.env, DATABASE_URL: url },
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
