/**
 * Refuses API bodies over the services' limit at the gateway, before proxying. Left to
 * the service, the refusal races the upload: the service answers 413 and closes while
 * the gateway is still writing, the proxy sees a reset socket and the client got 503.
 * Multipart uploads pass: the knowledge-base service streams them against its own,
 * configurable upload limit.
 */
import { kitErrors, type ServiceApp } from '@lumikb/service-kit';

export function installBodyLimit(app: ServiceApp, maxBytes: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared > maxBytes)) return;
    if ((request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) return;
    // The unread body is still on the socket: the client must not reuse the connection.
    void reply.header('connection', 'close');
    throw kitErrors.PAYLOAD_TOO_LARGE(`The request body is larger than ${maxBytes} bytes`, { max_bytes: maxBytes });
  });
}
