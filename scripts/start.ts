/**
 * `pnpm start`: the whole platform on this machine, one process per service.
 * Ctrl-C stops everything; so does a service that cannot start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PreflightError } from './lib/preflight.ts';
import { ROOT, type RunningStack, startStack } from './lib/stack.ts';

// A git-ignored .env is honoured; variables already exported win over it.
if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));

const abort = new AbortController();
let stack: RunningStack | undefined;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping every service …\n');
  // Stops what a start still under way has launched; the services run in process groups
  // of their own, so the terminal's Ctrl-C reaches them only through here.
  abort.abort();
  await stack?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  stack = await startStack({ signal: abort.signal });
  await stack.waitUntilReady();
  process.stdout.write(
    [
      '',
      `  LumiKB is up at ${stack.url}`,
      `  API docs: ${stack.url}/docs   ·   stop with Ctrl-C`,
      '  Sign in with LUMIKB_ADMIN_EMAIL / LUMIKB_ADMIN_PASSWORD, or the admin password the auth service printed on first start.',
      '',
    ].join('\n'),
  );
} catch (error) {
  if (stopping) process.exit(0);
  // startStack and waitUntilReady have stopped every process they started.
  process.stderr.write(
    `\n${error instanceof PreflightError ? error.message : `cannot start: ${(error as Error).message}`}\n`,
  );
  process.exit(1);
}
