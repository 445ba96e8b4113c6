/**
 * `pnpm --filter @lumikb/e2e run stack`: the suite's stack (fakes, services, seed data)
 * kept running for writing tests: run specs against it with
 * `E2E_BASE_URL=http://localhost:18080 pnpm --filter @lumikb/e2e test <file>`.
 * Ctrl-C (or SIGTERM) tears it down.
 */
import globalSetup from './global-setup.ts';

const teardown = await globalSetup({} as never);
process.stdout.write(`stack up at ${process.env.E2E_BASE_URL_RESOLVED}; Ctrl-C stops it\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await teardown();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
