/**
 * The registry on a throwaway test database, in its own process so the benchmark's
 * clients do not share its event loop. Prints `{port, token}` (an admin token) on stdout.
 */
import type { AddressInfo } from 'node:net';
import { buildTestApp } from '@lumikb/registry/testing';

const teardowns: (() => unknown)[] = [];
const { app, tokens } = await buildTestApp({ teardown: (fn) => void teardowns.push(fn) });
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port, token: tokens.admin })}\n`);
process.on('SIGTERM', async () => {
  for (const fn of teardowns.reverse()) await fn();
  process.exit(0);
});
