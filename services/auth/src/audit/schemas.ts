/** Payloads of the audit trail route. */
import { PageQuery } from '@lumikb/service-kit';
import { Type } from 'typebox';

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'actor id or email' })),
  action: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'exact action, or a prefix ending in * (user.*)' }),
  ),
  resource_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  resource_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  service: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive' })),
  ...PageQuery.properties,
});

export const AuditEntrySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  occurred_at: Type.String({ format: 'date-time' }),
  service: Type.String(),
  action: Type.String(),
  outcome: Type.String(),
  resource_type: Type.String(),
  resource_id: Type.Union([Type.String(), Type.Null()]),
  actor: Type.Object({
    type: Type.String(),
    id: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
  }),
  request_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  old_value: Type.Unknown(),
  new_value: Type.Unknown(),
});

export const AuditPageSchema = Type.Object({
  items: Type.Array(AuditEntrySchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
