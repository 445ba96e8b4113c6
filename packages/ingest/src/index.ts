export * from './chunk.ts';
export * from './detect.ts';
export * from './parse.ts';
