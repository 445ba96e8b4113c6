/**
 * Event types shared between contexts. Envelope fields are camelCase (fixed by the
 * architecture); `data` uses the same snake_case field names as the REST API.
 * Each context declares its events in its own file under this folder.
 */
import { Type } from 'typebox';
import { defineEvent } from './envelope.ts';

/** Audit records are emitted by every service and stored by auth. */
export const AuditRecorded = defineEvent(
  'audit.recorded',
  Type.Object({
    action: Type.String({ minLength: 1 }),
    resource_type: Type.String({ minLength: 1 }),
    resource_id: Type.Union([Type.String(), Type.Null()]),
    service: Type.String(),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    old_value: Type.Optional(Type.Unknown()),
    new_value: Type.Optional(Type.Unknown()),
    ip: Type.Optional(Type.String()),
  }),
);

/** A harmless event the event kit's own tests and benchmarks publish. */
export const SystemPing = defineEvent(
  'system.ping',
  Type.Object({ seq: Type.Integer(), note: Type.Optional(Type.String()) }),
);
