/** The event envelope every LumiKB event travels in, and helpers to declare event types. */
import { type Static, type TSchema, Type } from 'typebox';

export const ActorSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('user'), Type.Literal('service'), Type.Literal('system')]),
    id: Type.String({ minLength: 1 }),
    email: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Actor = Static<typeof ActorSchema>;

export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system' };

/** A declared event type: its subject (past-tense fact) and the schema of its data. */
export interface EventDefinition<S extends string = string, D extends TSchema = TSchema> {
  readonly type: S;
  readonly data: D;
  readonly envelope: TSchema;
}

export function envelopeSchema<S extends string, D extends TSchema>(type: S, data: D) {
  return Type.Object(
    {
      id: Type.String({ format: 'uuid' }),
      type: Type.Literal(type),
      occurredAt: Type.String({ format: 'date-time' }),
      actor: ActorSchema,
      requestId: Type.Optional(Type.String()),
      data,
    },
    { additionalProperties: false },
  );
}

export function defineEvent<S extends string, D extends TSchema>(type: S, data: D): EventDefinition<S, D> {
  return { type, data, envelope: envelopeSchema(type, data) };
}

export interface EventEnvelope<S extends string = string, D = unknown> {
  id: string;
  type: S;
  occurredAt: string;
  actor: Actor;
  requestId?: string;
  data: D;
}

export type EventOf<E extends EventDefinition> = EventEnvelope<E['type'], Static<E['data']>>;
