/**
 * The `fakes` container of the test stacks here (deploy/Dockerfile `--target fakes`):
 * the test kit's fake Qdrant, LiteLLM proxy and Ollama behind the ports the real servers
 * use, because no image of those can be had on our machines (no registry). Compose gives
 * this one container the host names `qdrant`, `litellm` and `ollama`
 * (docker-compose.local.yml), so the services' configuration is the same as with the
 * real servers. Each fake listens on a port of its own; a plain TCP pipe forwards the
 * fixed port to it (6333, 4000, 11434). LITELLM_MASTER_KEY is the key the fake LiteLLM requires.
 */
import { createConnection, createServer } from 'node:net';
import { startFakeLiteLLM, startFakeOllama, startFakeQdrant } from '@lumikb/test-kit';

const host = process.env.FAKES_HOST ?? '0.0.0.0';
const starters = {
  qdrant: { port: 6333, start: () => startFakeQdrant(undefined) },
  litellm: {
    port: 4000,
    start: () => startFakeLiteLLM(undefined, { masterKey: process.env.LITELLM_MASTER_KEY ?? 'sk-fake-master' }),
  },
  ollama: { port: 11434, start: () => startFakeOllama(undefined) },
};
type Name = keyof typeof starters;

// `fakes.ts qdrant` starts one; no argument starts all three.
const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in starters));
if (unknown.length > 0) {
  process.stderr.write(`unknown fake(s): ${unknown.join(', ')} (choose from ${Object.keys(starters).join(', ')})\n`);
  process.exit(2);
}
for (const name of (wanted.length > 0 ? wanted : Object.keys(starters)) as Name[]) {
  const { port, start } = starters[name];
  const fake = await start();
  const target = new URL(fake.url);
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  process.stdout.write(`fake ${name} on ${host}:${port}\n`);
}

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
