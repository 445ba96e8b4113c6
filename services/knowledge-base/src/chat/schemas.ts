import { type Static, Type } from 'typebox';

export const ChatRequestSchema = Type.Object(
  {
    kb_id: Type.String({ format: 'uuid' }),
    message: Type.String({ minLength: 1, maxLength: 8_000 }),
    conversation_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'continue this conversation of yours (its saved turns are the history); without it a new conversation is saved',
      }),
    ),
    history: Type.Optional(
      Type.Array(
        Type.Object(
          {
            role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
            content: Type.String({ maxLength: 32_000 }),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 50,
          description: 'earlier turns, oldest first, for a new conversation (ignored with conversation_id)',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ChatRequest = Static<typeof ChatRequestSchema>;
