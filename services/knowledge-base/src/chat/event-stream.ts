/** Writes an answer's events as server-sent events, for /api/v1/chat and conversations alike. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatEvent } from './service.ts';

/**
 * Takes over the reply and writes each event; `headers` go out before the first event
 * (the conversation and message ids, so a client knows them before any token). A failure
 * after the stream started becomes an `error` event: the status line is already sent.
 */
export async function sendEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  signal: AbortSignal,
  events: AsyncIterable<ChatEvent>,
  headers: Record<string, string> = {},
): Promise<void> {
  reply.hijack();
  if (signal.aborted) {
    reply.raw.end();
    // Still drain: the producer saves what it has (a stopped answer) when it ends.
    for await (const _ of events) break;
    return;
  }
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    ...headers,
  });
  try {
    for await (const item of events) {
      if (signal.aborted) break;
      reply.raw.write(`event: ${item.event}\ndata: ${JSON.stringify(item.data)}\n\n`);
    }
  } catch (error) {
    if (signal.aborted) return;
    request.log.error({ err: error }, 'answer stream failed');
    reply.raw.write(
      `event: error\ndata: ${JSON.stringify({ code: 'INTERNAL_ERROR', message: 'The answer stream failed' })}\n\n`,
    );
  } finally {
    reply.raw.end();
  }
}
