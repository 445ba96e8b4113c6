/** Wire shapes of `/api/v1/conversations`: saved chats, their messages, feedback and export. */
import { type Static, Type } from 'typebox';

/** Bounds on one conversation and one request (a question, a title, a page of the list). */
export const CONVERSATION_LIMITS = {
  kbIds: 10,
  titleChars: 200,
  /** A question, as /api/v1/chat allows. */
  messageChars: 8_000,
  commentChars: 2_000,
  listPage: 100,
  searchChars: 200,
  /** Earlier turns sent to the model with a new question (newest kept). */
  historyMessages: 20,
  historyChars: 32_000,
  /** Messages one conversation may hold (questions and answer versions together). */
  messages: 2_000,
} as const;

const Uuid = Type.String({ format: 'uuid' });

export const ConversationCreateBody = Type.Object(
  {
    kb_ids: Type.Array(Uuid, { minItems: 1, maxItems: CONVERSATION_LIMITS.kbIds, uniqueItems: true }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: CONVERSATION_LIMITS.titleChars })),
  },
  { additionalProperties: false },
);
export type ConversationCreate = Static<typeof ConversationCreateBody>;

export const ConversationPatchBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: CONVERSATION_LIMITS.titleChars })),
    kb_ids: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: CONVERSATION_LIMITS.kbIds, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ConversationPatch = Static<typeof ConversationPatchBody>;

export const ConversationListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ maxLength: CONVERSATION_LIMITS.searchChars, description: 'words the title contains' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: CONVERSATION_LIMITS.listPage, default: 20 })),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'next_cursor of the previous page (older conversations)' }),
    ),
  },
  { additionalProperties: false },
);
export type ConversationListParams = Static<typeof ConversationListQuery>;

export const ConversationParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const MessageParams = Type.Object({ id: Uuid, messageId: Uuid }, { additionalProperties: false });

export const AskBody = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: CONVERSATION_LIMITS.messageChars }) },
  { additionalProperties: false },
);

export const FeedbackBody = Type.Object(
  {
    helpful: Type.Boolean(),
    comment: Type.Optional(Type.String({ maxLength: CONVERSATION_LIMITS.commentChars })),
  },
  { additionalProperties: false },
);
export type Feedback = Static<typeof FeedbackBody>;

export const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('markdown'), Type.Literal('json')], { default: 'markdown' })) },
  { additionalProperties: false },
);

/** A KB a conversation is bound to, as its owner can use it now. */
export const ConversationKbSchema = Type.Object({
  id: Uuid,
  /** null when the KB was deleted or the owner can no longer read it (its name is not theirs to know). */
  name: Type.Union([Type.String(), Type.Null()]),
  access: Type.Union([Type.Literal('ok'), Type.Literal('lost'), Type.Literal('deleted')], {
    description: 'ok: asked next time; lost: no READ any more; deleted: the KB is gone. Only ok KBs are asked.',
  }),
});

export const ConversationSummarySchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  kb_ids: Type.Array(Uuid),
  message_count: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

/**
 * A passage an answer cites, as stored with it. Fields added to search results later are
 * kept too (additionalProperties), so older answers stay readable as the shape grows.
 */
export const StoredCitationSchema = Type.Object(
  {
    marker: Type.String(),
    kb_id: Uuid,
    kb_name: Type.String(),
    document_id: Uuid,
    document_name: Type.String(),
    chunk_index: Type.Integer(),
    text: Type.String(),
    score: Type.Number(),
  },
  { additionalProperties: true },
);

export const MessageStatusSchema = Type.Union(
  [
    Type.Literal('complete'),
    Type.Literal('streaming'),
    Type.Literal('stopped'),
    Type.Literal('interrupted'),
    Type.Literal('failed'),
  ],
  {
    description:
      'complete; streaming (being written now); stopped (the asker stopped it: the partial answer is kept); ' +
      'interrupted (the service went away mid-answer); failed (generation failed: `error` says why, the partial answer is kept)',
  },
);

export const MessageSchema = Type.Object({
  id: Uuid,
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  /** The question an answer replies to. */
  reply_to: Type.Union([Uuid, Type.Null()]),
  /** 1 for the first answer to a question; each regeneration adds one (all versions are kept). */
  version: Type.Integer(),
  content: Type.String(),
  status: MessageStatusSchema,
  kb_ids: Type.Array(Uuid),
  citations: Type.Array(StoredCitationSchema),
  model_id: Type.Union([Type.String(), Type.Null()]),
  model_name: Type.Union([Type.String(), Type.Null()]),
  fallback_reason: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  timings: Type.Union([
    Type.Object({ first_token_ms: Type.Union([Type.Integer(), Type.Null()]), total_ms: Type.Integer() }),
    Type.Null(),
  ]),
  usage: Type.Union([
    Type.Object({}, { additionalProperties: true, description: 'token counts as the model reported them' }),
    Type.Null(),
  ]),
  notes: Type.Array(Type.String()),
  feedback: Type.Union([
    Type.Object({ helpful: Type.Boolean(), comment: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  created_at: Type.String({ format: 'date-time' }),
  completed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type MessageView = Static<typeof MessageSchema>;

export const ConversationSchema = Type.Object({
  ...ConversationSummarySchema.properties,
  kbs: Type.Array(ConversationKbSchema),
  /** Every message, oldest first; an answer's older versions come before its newest. */
  messages: Type.Array(MessageSchema),
});

export const ConversationListSchema = Type.Object({
  items: Type.Array(ConversationSummarySchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const FeedbackSummarySchema = Type.Object({
  since: Type.String({ format: 'date-time' }),
  total: Type.Integer(),
  helpful: Type.Integer(),
  not_helpful: Type.Integer(),
  by_model: Type.Array(
    Type.Object({
      model_id: Type.Union([Type.String(), Type.Null()]),
      helpful: Type.Integer(),
      not_helpful: Type.Integer(),
    }),
  ),
  by_kb: Type.Array(
    Type.Object({
      kb_id: Uuid,
      kb_name: Type.Union([Type.String(), Type.Null()]),
      helpful: Type.Integer(),
      not_helpful: Type.Integer(),
    }),
  ),
  /** The latest comments, newest first (no conversation content, no user ids). */
  recent_comments: Type.Array(
    Type.Object({
      helpful: Type.Boolean(),
      comment: Type.String(),
      model_id: Type.Union([Type.String(), Type.Null()]),
      created_at: Type.String({ format: 'date-time' }),
    }),
  ),
});

export const FeedbackSummaryQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })) },
  { additionalProperties: false },
);
