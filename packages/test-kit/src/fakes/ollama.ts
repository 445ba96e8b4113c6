/**
 * A fake Ollama server (reference/protocols.md §2): `/api/embed`, legacy
 * `/api/embeddings`, streaming NDJSON `/api/chat` and `/api/generate`, `/api/tags`,
 * `/api/version` and `GET /`, with Ollama's `{"error": "…"}` bodies and mid-stream
 * error lines.
 */
import type { ServerResponse } from 'node:http';
import type { Teardown } from '../database.ts';
import { sendJson } from '../fake-server.ts';
import {
  type FakeControls,
  fakeVector,
  lastUserText,
  pause,
  replyTokens,
  startControlledServer,
} from './model-server-kit.ts';

export interface FakeOllamaModel {
  /** e.g. "nomic-embed-text" or "llama3.2:latest" (a name without a tag means ":latest"). */
  name: string;
  /** Embedding length; models without it still embed, with 384 floats (as chat models can). */
  dimensions?: number;
}

export interface FakeOllamaOptions {
  models?: FakeOllamaModel[];
  reply?: (question: string, model: string) => string;
  tokenDelayMs?: number;
  version?: string;
}

export interface FakeOllama extends FakeControls {
  addModel(model: FakeOllamaModel): void;
  removeModel(name: string): void;
  /** Forces every embedding to this length; undefined restores. */
  setDimensions(dimensions: number | undefined): void;
  /** Streams end with an `{"error"}` line (status still 200) after this many tokens. */
  failStreamsAfter(tokens: number | undefined): void;
}

export const DEFAULT_OLLAMA_MODELS: FakeOllamaModel[] = [
  { name: 'nomic-embed-text:latest', dimensions: 768 },
  { name: 'all-minilm:latest', dimensions: 384 },
  { name: 'llama3.2:latest' },
];

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`);

export async function startFakeOllama(t: Teardown | undefined, options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const models = new Map((options.models ?? DEFAULT_OLLAMA_MODELS).map((m) => [withTag(m.name), m]));
  let forcedDimensions: number | undefined;
  let failAfter: number | undefined;

  const find = (name: unknown) => (typeof name === 'string' ? models.get(withTag(name)) : undefined);
  const dimensionsOf = (m: FakeOllamaModel) => forcedDimensions ?? m.dimensions ?? 384;
  const notFound = (res: ServerResponse, name: unknown) =>
    sendJson(res, 404, { error: `model "${String(name)}" not found, try pulling it first` });

  const controls = await startControlledServer(
    t,
    async (req, res, recorded) => {
      const { path, method } = recorded;
      const body = recorded.body as Record<string, unknown> | undefined;

      if ((method === 'GET' || method === 'HEAD') && path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(method === 'HEAD' ? undefined : 'Ollama is running');
        return;
      }
      if (method === 'GET' && path === '/api/version')
        return sendJson(res, 200, { version: options.version ?? '0.5.1' });
      if (method === 'GET' && path === '/api/tags') {
        return sendJson(res, 200, {
          models: [...models.keys()].map((name) => ({
            name,
            model: name,
            modified_at: '2026-01-01T00:00:00Z',
            size: 274_302_450,
            digest: '0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f',
            details: {
              parent_model: '',
              format: 'gguf',
              family: 'fake',
              families: ['fake'],
              parameter_size: '137M',
              quantization_level: 'F16',
            },
          })),
        });
      }
      if (method !== 'POST') return sendJson(res, 404, { error: '404 page not found' });
      if (!body && req.body.trim() === '') return sendJson(res, 400, { error: 'missing request body' });
      if (!body) return sendJson(res, 400, { error: 'invalid character in request body' });

      if (path === '/api/embed') {
        const model = find(body.model);
        if (!model) return sendJson(res, 404, { error: `model '${String(body.model)}' not found` });
        const input = typeof body.input === 'string' ? [body.input] : body.input;
        if (!Array.isArray(input) || input.some((x) => typeof x !== 'string')) {
          return sendJson(res, 400, { error: 'invalid input type' });
        }
        return sendJson(res, 200, {
          model: withTag(model.name),
          embeddings: input.map((text) => fakeVector(String(text), dimensionsOf(model))),
          total_duration: 14_143_917,
          load_duration: 1_019_500,
          prompt_eval_count: input.length * 4,
        });
      }
      if (path === '/api/embeddings') {
        const model = find(body.model);
        if (!model) return notFound(res, body.model);
        return sendJson(res, 200, { embedding: fakeVector(String(body.prompt ?? ''), dimensionsOf(model)) });
      }
      if (path === '/api/chat' || path === '/api/generate') {
        const model = find(body.model);
        if (!model) return notFound(res, body.model);
        const chat = path === '/api/chat';
        const question = chat ? lastUserText(body.messages) : String(body.prompt ?? '');
        const reply = options.reply?.(question, String(body.model)) ?? `Fake Ollama answer: you asked "${question}".`;
        const limit = (body.options as { num_predict?: number } | undefined)?.num_predict;
        const all = replyTokens(reply);
        const tokens = typeof limit === 'number' && limit >= 0 ? all.slice(0, limit) : all;
        const base = { model: withTag(model.name), created_at: new Date().toISOString() };
        const piece = (text: string, done: boolean) =>
          chat ? { ...base, message: { role: 'assistant', content: text }, done } : { ...base, response: text, done };
        const final = {
          ...piece('', true),
          done_reason: tokens.length < all.length ? 'length' : 'stop',
          total_duration: 4_883_583_458,
          load_duration: 1_334_875,
          prompt_eval_count: 26,
          prompt_eval_duration: 342_546_000,
          eval_count: tokens.length,
          eval_duration: 4_535_599_000,
          ...(chat ? {} : { context: [1, 2, 3] }),
        };
        if (body.stream === false) {
          const whole = chat
            ? { ...final, message: { role: 'assistant', content: tokens.join('') } }
            : { ...final, response: tokens.join('') };
          return sendJson(res, 200, whole);
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.flushHeaders();
        for (const [i, token] of tokens.entries()) {
          if (failAfter !== undefined && i >= failAfter) {
            res.end(`${JSON.stringify({ error: 'an error was encountered while running the model' })}\n`);
            return;
          }
          await pause(options.tokenDelayMs ?? 0);
          if (res.destroyed) return;
          res.write(`${JSON.stringify(piece(token, false))}\n`);
        }
        res.end(`${JSON.stringify(final)}\n`);
        return;
      }
      return sendJson(res, 404, { error: '404 page not found' });
    },
    (status) => ({ error: `injected failure (HTTP ${status})` }),
  );

  return {
    ...controls,
    addModel(model) {
      models.set(withTag(model.name), model);
    },
    removeModel(name) {
      models.delete(withTag(name));
    },
    setDimensions(dimensions) {
      forcedDimensions = dimensions;
    },
    failStreamsAfter(tokens) {
      failAfter = tokens;
    },
  };
}
