export * from './archive.ts';
export * from './chunk.ts';
export * from './detect.ts';
export * from './document.ts';
export * from './limits.ts';
export * from './parse.ts';
export * from './sandbox.ts';
