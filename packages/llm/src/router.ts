import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GenerateChunk, GenerateRequest, LiteLlmTarget, LlmModel } from './types.ts';

export interface LlmRouterOptions {
  litellm?: LiteLlmTarget;
  registry?: Registry;
  logger?: Logger;
  /** Per-attempt timeout (default 30000 ms). */
  timeoutMs?: number;
  /** Retries on 429/5xx/network errors (default 2). */
  retries?: number;
  /** Returns the model to fall back to when a generation model is unavailable. */
  fallbackGeneration?: () => LlmModel | undefined;
}

export class LlmRouter {
  constructor(readonly options: LlmRouterOptions = {}) {}

  async embed(_model: LlmModel, _texts: string[]): Promise<number[][]> {
    throw new Error('not implemented yet');
  }

  // biome-ignore lint/correctness/useYield: placeholder until implemented
  async *generate(_model: LlmModel, _request: GenerateRequest): AsyncIterable<GenerateChunk> {
    throw new Error('not implemented yet');
  }
}
