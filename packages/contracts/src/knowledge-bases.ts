/**
 * Knowledge-base lifecycle events. Other contexts (the registry's model-usage
 * projection) learn which models a KB uses from these.
 */
import { type Static, Type } from 'typebox';
import { defineEvent } from './envelope.ts';

export const KbSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  embedding_model_id: Type.String({ format: 'uuid' }),
  generation_model_id: Type.String({ format: 'uuid' }),
  /** Vector size and distance of the KB's collection (fixed at creation). */
  dimensions: Type.Integer({ minimum: 1 }),
  distance_metric: Type.Union([Type.Literal('cosine'), Type.Literal('dot'), Type.Literal('euclidean')]),
  document_count: Type.Integer({ minimum: 0 }),
});
export type KbSummary = Static<typeof KbSummarySchema>;

export const KbCreated = defineEvent('kb.created', Type.Object({ kb: KbSummarySchema }));
export const KbUpdated = defineEvent(
  'kb.updated',
  Type.Object({ kb: KbSummarySchema, changed_fields: Type.Array(Type.String()) }),
);
export const KbDeleted = defineEvent('kb.deleted', Type.Object({ id: Type.String({ format: 'uuid' }) }));
