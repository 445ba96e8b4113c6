/** Fake HTTP servers on port 0 for outbound dependencies (LiteLLM, Ollama, Qdrant …). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Teardown } from './database.ts';

export interface FakeServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}`,
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
