/**
 * JetStream streams, one per bounded context. Subjects are past-tense facts
 * (`model.created`); a stream captures every subject under its root.
 */
export const STREAMS = {
  MODELS: { name: 'MODELS', subjects: ['model.>'] },
  KB: { name: 'KB', subjects: ['kb.>'] },
  DOCUMENTS: { name: 'DOCUMENTS', subjects: ['document.>'] },
  USERS: { name: 'USERS', subjects: ['user.>', 'group.>'] },
  CONFIG: { name: 'CONFIG', subjects: ['config.>'] },
  AUDIT: { name: 'AUDIT', subjects: ['audit.>'] },
  /** Used by the platform's own tests and benchmarks of the event kit. */
  SYSTEM: { name: 'SYSTEM', subjects: ['system.>'] },
} as const;

export type StreamName = keyof typeof STREAMS;
export interface StreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
}
