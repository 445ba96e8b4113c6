export * from './access.ts';
export * from './envelope.ts';
export * from './events.ts';
export * from './models.ts';
export * from './streams.ts';
export * from './knowledge-bases.ts';
export * from './users.ts';
export * from './documents.ts';
