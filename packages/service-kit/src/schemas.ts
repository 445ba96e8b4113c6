/** Schemas shared by many routes. */
import { Type } from 'typebox';

export const ErrorSchema = Type.Object(
  {
    code: Type.String({ description: 'stable machine-readable error code' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  },
  { $id: undefined },
);

export const UuidParam = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

/** Standard error responses to spread into a route's `response` schema. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorSchema])) as Record<number, typeof ErrorSchema>;
