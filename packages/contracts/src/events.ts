/** Event types shared between contexts. Each context adds its events here as it lands. */
import { Type } from 'typebox';
import { defineEvent } from './envelope.ts';

/** Audit records are emitted by every service and stored by auth. */
export const AuditRecorded = defineEvent(
  'audit.recorded',
  Type.Object({
    action: Type.String({ minLength: 1 }),
    resourceType: Type.String({ minLength: 1 }),
    resourceId: Type.Union([Type.String(), Type.Null()]),
    service: Type.String(),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    oldValue: Type.Optional(Type.Unknown()),
    newValue: Type.Optional(Type.Unknown()),
    ip: Type.Optional(Type.String()),
  }),
);

/** A harmless event the event kit's own tests and benchmarks publish. */
export const SystemPing = defineEvent(
  'system.ping',
  Type.Object({ seq: Type.Integer(), note: Type.Optional(Type.String()) }),
);
