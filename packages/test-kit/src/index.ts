export * from './bus.ts';
export * from './database.ts';
export * from './fake-server.ts';
export * from './infra.ts';
export * from './logger.ts';
export * from './platform.ts';
export * from './tokens.ts';
export * from './wait.ts';
