/**
 * JetStream streams, one per bounded context. Subjects are past-tense facts
 * (`model.created`); a stream captures every subject under its root.
 */
export const STREAMS = {
  // Kept for good: other contexts build projections from their whole history (the KB
  // service's models, the registry's model usage), and a service deployed later must be
  // able to rebuild them. These are low-volume lifecycle facts.
  MODELS: { name: 'MODELS', subjects: ['model.>'], keepForever: true },
  KB: { name: 'KB', subjects: ['kb.>'], keepForever: true },
  DOCUMENTS: { name: 'DOCUMENTS', subjects: ['document.>'] },
  USERS: { name: 'USERS', subjects: ['user.>', 'group.>'], keepForever: true },
  CONFIG: { name: 'CONFIG', subjects: ['config.>'] },
  AUDIT: { name: 'AUDIT', subjects: ['audit.>'] },
  /** Used by the platform's own tests and benchmarks of the event kit. */
  SYSTEM: { name: 'SYSTEM', subjects: ['system.>'] },
} as const;

export type StreamName = keyof typeof STREAMS;
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  /** No age limit (otherwise messages are kept 7 days). */
  readonly keepForever?: boolean;
}
