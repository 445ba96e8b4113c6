import { errorResponses, type ServiceApp } from '@lumikb/service-kit';
import { Type } from 'typebox';
import type { KbContext } from '../context.ts';
import { streamSavedAnswer } from '../conversations/routes.ts';
import { startAsk } from '../conversations/service.ts';
import { ChatRequestSchema } from './schemas.ts';

export function registerChatRoutes(app: ServiceApp, ctx: KbContext): void {
  app.post(
    '/api/v1/chat',
    {
      config: { access: 'user' },
      schema: {
        tags: ['chat'],
        summary:
          'Ask a knowledge base (READ). Server-sent events: `token` {text}…, then `citations` {citations}, then `done` {model_id, fallback_used, fallback_reason, conversation_id, message_id, …}; `error` {code, message} if generation fails mid-way. Every question and answer is saved in one of your conversations (a new one unless conversation_id is given).',
        body: ChatRequestSchema,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { kb_id, message, conversation_id, history } = request.body;
      await streamSavedAnswer(ctx, request, reply, (claims, signal) =>
        startAsk(
          ctx,
          claims,
          conversation_id
            ? { conversationId: conversation_id, kbId: kb_id }
            : { newConversation: { kbIds: [kb_id.toLowerCase()], history: history ?? [] } },
          message,
          signal,
        ),
      );
    },
  );
}
