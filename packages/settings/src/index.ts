export * from './subscriber.ts';
export * from './upload-limit.ts';
