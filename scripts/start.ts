/**
 * `pnpm start`: the whole platform on this machine, one process per service.
 * Ctrl-C stops everything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PreflightError } from './lib/preflight.ts';
import { ROOT, startStack } from './lib/stack.ts';

// A git-ignored .env is honoured; variables already exported win over it.
if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));

try {
  const stack = await startStack();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping every service …\n');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
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
  process.stderr.write(
    `\n${error instanceof PreflightError ? error.message : `cannot start: ${(error as Error).message}`}\n`,
  );
  process.exit(1);
}
