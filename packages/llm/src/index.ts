export * from './connection-test.ts';
export * from './errors.ts';
export * from './local/constants.ts';
export * from './router.ts';
export * from './types.ts';
