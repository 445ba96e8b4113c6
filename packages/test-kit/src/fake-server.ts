/** Fake HTTP servers on port 0 for outbound dependencies (LiteLLM, Ollama, Qdrant …). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from './database.ts';

export interface FakeServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Where fakes listen and the host their URLs name. Default loopback. A test stack in
 * containers (scripts/containers/) sets LUMIKB_FAKES_HOST=0.0.0.0 and
 * LUMIKB_FAKES_URL_HOST=host.containers.internal, so the services in the containers can
 * call the fakes a test starts on the host (the URL is what the test registers in the API).
 */
export const fakesBindHost = (): string => process.env.LUMIKB_FAKES_HOST || '127.0.0.1';
const fakesUrlHost = (): string =>
  process.env.LUMIKB_FAKES_URL_HOST || (fakesBindHost() === '0.0.0.0' ? '127.0.0.1' : fakesBindHost());

export type FakeHandler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void | Promise<void>;

export async function startFakeServer(t: Teardown | undefined, handler: FakeHandler): Promise<FakeServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Object.assign(req, { body: Buffer.concat(chunks).toString('utf8') });
      Promise.resolve(handler(req as IncomingMessage & { body: string }, res)).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(error) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, fakesBindHost(), resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://${fakesUrlHost()}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  t?.teardown(() => fake.close());
  return fake;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
