import { type Static, Type } from 'typebox';

export const ChatRequestSchema = Type.Object(
  {
    kb_id: Type.String({ format: 'uuid' }),
    message: Type.String({ minLength: 1, maxLength: 8_000 }),
    history: Type.Optional(
      Type.Array(
        Type.Object(
          {
            role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
            content: Type.String({ maxLength: 32_000 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 50, description: 'earlier turns of the conversation, oldest first' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ChatRequest = Static<typeof ChatRequestSchema>;
