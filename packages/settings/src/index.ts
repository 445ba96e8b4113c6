export * from './live.ts';
export * from './subscriber.ts';
export * from './upload-limit.ts';
