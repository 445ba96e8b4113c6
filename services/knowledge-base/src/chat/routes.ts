import { caller, errorResponses, type ServiceApp } from '@lumikb/service-kit';
import { Type } from 'typebox';
import type { KbContext } from '../context.ts';
import { callerSignal } from '../requests/caller-lifetime.ts';
import { ChatRequestSchema } from './schemas.ts';
import { type FallbackHolder, prepareChat, streamChat } from './service.ts';

export function registerChatRoutes(app: ServiceApp, ctx: KbContext, fallback: FallbackHolder = ctx.fallback): void {
  app.post(
    '/api/v1/chat',
    {
      config: { access: 'user' },
      schema: {
        tags: ['chat'],
        summary:
          'Ask a knowledge base (READ). Server-sent events: `token` {text}…, then `citations` {citations}, then `done` {model_id, fallback_used, fallback_reason, …}; `error` {code, message} if generation fails mid-way.',
        body: ChatRequestSchema,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      // Before the first await: retrieval already costs an embedding call.
      const claims = caller(request);
      ctx.concurrency.chat.hold(claims.sub, reply);
      const signal = callerSignal(request, reply);
      const chat = await prepareChat(ctx, claims, request.body, signal);
      reply.hijack();
      if (signal.aborted) {
        reply.raw.end();
        return;
      }
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      try {
        for await (const item of streamChat(ctx, chat, fallback, signal)) {
          if (signal.aborted) break;
          reply.raw.write(`event: ${item.event}\ndata: ${JSON.stringify(item.data)}\n\n`);
        }
      } catch (error) {
        if (signal.aborted) return;
        request.log.error({ err: error }, 'chat stream failed');
        reply.raw.write(
          `event: error\ndata: ${JSON.stringify({ code: 'INTERNAL_ERROR', message: 'The answer stream failed' })}\n\n`,
        );
      } finally {
        reply.raw.end();
      }
    },
  );
}
