/**
 * A server for the kit-overhead benchmark, in its own process so the load generator
 * does not share its event loop: `kit` is a service-kit app, `bare` a plain Fastify
 * app with the same /health route. Prints its port on stdout.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServiceApp } from '@lumikb/service-kit';
import Fastify, { LogController } from 'fastify';
import pino from 'pino';

const kind = process.argv[2];
const { publicKey } = generateKeyPairSync('ed25519');
// Both log at info to a discarded stream. The kit does not log probe requests, so the
// bare app is told the same: the comparison is of everything else the kit adds.
const logger = pino({ level: 'info' }, pino.destination('/dev/null'));
async function build() {
  if (kind === 'kit') {
    return createServiceApp({
      service: 'bench',
      logger,
      auth: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    });
  }
  const bare = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
  bare.get('/health', async () => ({ status: 'ok', service: 'bench', version: '0', uptimeSeconds: 0 }));
  return bare;
}
const app = await build();
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
