export * from './bus.ts';
export * from './consumer.ts';
export * from './contract-errors.ts';
export * from './declarations.ts';
export * from './idempotency.ts';
export * from './outbox.ts';
export * from './outbox-schema.ts';
