/**
 * Refuses API bodies over the services' limit at the gateway, before proxying. Left to
 * the service, the refusal races the upload: the service answers 413 and closes while
 * the gateway is still writing, the proxy sees a reset socket and the client got 503.
 * A declared `Content-Length` over the limit is refused at once; a body without one
 * (chunked) is read here up to the limit and forwarded from memory, so it is refused at
 * the limit's first byte over, never half-sent. The limit is the services' own JSON body
 * limit (1 MiB by default), so at most that much is held per request.
 * Multipart uploads pass: the knowledge-base service streams them against its own,
 * configurable upload limit.
 */
import { Readable } from 'node:stream';
import { kitErrors, type ServiceApp } from '@lumikb/service-kit';

const isMultipart = (contentType: string | undefined) =>
  (contentType ?? '').toLowerCase().startsWith('multipart/form-data');

function tooLarge(maxBytes: number) {
  return kitErrors.PAYLOAD_TOO_LARGE(`The request body is larger than ${maxBytes} bytes`, { max_bytes: maxBytes });
}

/** The whole body when it fits in `maxBytes`, else undefined (reading stops at the limit). */
async function readWithin(payload: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of payload) {
    size += part.length;
    if (size > maxBytes) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts, size);
}

export function installBodyLimit(app: ServiceApp, maxBytes: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > maxBytes)) return;
    if (isMultipart(request.headers['content-type'])) return;
    // The unread body is still on the socket: the client must not reuse the connection.
    void reply.header('connection', 'close');
    throw tooLarge(maxBytes);
  });

  app.addHook('preParsing', async (request, reply, payload) => {
    if (!request.url.startsWith('/api/')) return payload;
    // Only a body of unknown length (chunked) needs counting; a declared one was checked above.
    if (request.headers['transfer-encoding'] === undefined || request.headers['content-length'] !== undefined) {
      return payload;
    }
    if (isMultipart(request.headers['content-type'])) return payload;
    const body = await readWithin(payload, maxBytes);
    if (body === undefined) {
      void reply.header('connection', 'close');
      throw tooLarge(maxBytes);
    }
    return Readable.from([body]);
  });
}
