/**
 * One fake server for the cloud providers' native APIs used by connection tests and
 * direct calls (reference/protocols.md §3), each with its own auth header and error
 * envelope: OpenAI-compatible `/v1/*` (OpenAI, custom servers, LM Studio), Azure OpenAI
 * deployments, Anthropic `/v1/messages`, Cohere `/v2/embed|chat`, Gemini
 * `:embedContent|:generateContent`.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Teardown } from '../database.ts';
import { sendJson } from '../fake-server.ts';
import {
  base64Floats,
  type FakeControls,
  fakeVector,
  lastUserText,
  readAuth,
  replyTokens,
  startControlledServer,
  writeChatCompletion,
} from './model-server-kit.ts';

export interface FakeProvidersOptions {
  /** When set, every call must carry this key (in the provider's own header). */
  apiKey?: string;
  /** Known model ids (Azure: deployment names) and their embedding length; unknown → 404. Omit to accept any. */
  models?: Record<string, { dimensions?: number }>;
  /** Embedding length for models without one (default 1536). */
  defaultDimensions?: number;
  /** Models that refuse `max_tokens` and want `max_completion_tokens` (OpenAI reasoning models). */
  reasoningModels?: string[];
  reply?: (question: string, model: string) => string;
  tokenDelayMs?: number;
}

export interface FakeProviders extends FakeControls {
  /** Forces every embedding to this length; undefined restores. */
  setDimensions(dimensions: number | undefined): void;
}

const openAiError = (
  message: string,
  code: string | null,
  type = 'invalid_request_error',
  param: string | null = null,
) => ({
  error: { message, type, param, code },
});

export async function startFakeProviders(
  t: Teardown | undefined,
  options: FakeProvidersOptions = {},
): Promise<FakeProviders> {
  let forcedDimensions: number | undefined;
  const known = (model: string) => options.models === undefined || model in options.models;
  const dimensionsOf = (model: string) =>
    forcedDimensions ?? options.models?.[model]?.dimensions ?? options.defaultDimensions ?? 1536;
  const replyTo = (question: string, model: string) =>
    options.reply?.(question, model) ?? `Fake answer from ${model}: you asked "${question}".`;
  const keyOk = (given: string | undefined) => options.apiKey === undefined || given === options.apiKey;

  const inputs = (input: unknown): string[] | undefined =>
    typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : undefined;

  const openAiEmbeddings = (res: ServerResponse, model: string, body: Record<string, unknown>) => {
    const texts = inputs(body.input);
    if (!texts)
      return sendJson(res, 400, openAiError("'input' is a required property", null, 'invalid_request_error', 'input'));
    const base64 = body.encoding_format === 'base64';
    return sendJson(res, 200, {
      object: 'list',
      data: texts.map((text, index) => {
        const vector = fakeVector(text, dimensionsOf(model));
        return { object: 'embedding', index, embedding: base64 ? base64Floats(vector) : vector };
      }),
      model,
      usage: { prompt_tokens: texts.length * 4, total_tokens: texts.length * 4 },
    });
  };

  const openAiChat = (res: ServerResponse, model: string, body: Record<string, unknown>) => {
    if (options.reasoningModels?.includes(model) && body.max_tokens !== undefined) {
      return sendJson(
        res,
        400,
        openAiError(
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          'unsupported_parameter',
          'invalid_request_error',
          'max_tokens',
        ),
      );
    }
    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    return writeChatCompletion(res, {
      model,
      reply: replyTo(lastUserText(body.messages), model),
      stream: body.stream === true,
      ...(typeof maxTokens === 'number' ? { maxTokens } : {}),
      includeUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
      tokenDelayMs: options.tokenDelayMs ?? 0,
    });
  };

  const controls = await startControlledServer(
    t,
    async (req, res, recorded) => {
      const { path, method } = recorded;
      const body = (recorded.body ?? {}) as Record<string, unknown>;
      const model = String(body.model ?? '');

      // Anthropic (before the generic /v1 routes).
      if (method === 'POST' && path === '/v1/messages') {
        const anthropicError = (status: number, type: string, message: string) =>
          sendJson(res, status, { type: 'error', error: { type, message } });
        if (!req.headers['anthropic-version']) {
          return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required');
        }
        const key = req.headers['x-api-key'] as string | undefined;
        if (!key && options.apiKey !== undefined) {
          return anthropicError(401, 'authentication_error', 'x-api-key header is required');
        }
        if (!keyOk(key)) return anthropicError(401, 'authentication_error', 'invalid x-api-key');
        if (!known(model)) return anthropicError(404, 'not_found_error', `model: ${model}`);
        const all = replyTokens(replyTo(lastUserText(body.messages), model));
        const max = typeof body.max_tokens === 'number' ? body.max_tokens : all.length;
        const tokens = all.slice(0, max);
        return sendJson(res, 200, {
          id: `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: tokens.join('') }],
          stop_reason: tokens.length < all.length ? 'max_tokens' : 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: tokens.length },
        });
      }

      // OpenAI-compatible.
      if (path.startsWith('/v1/')) {
        const key = readAuth(req.headers);
        if (options.apiKey !== undefined && !key) {
          return sendJson(
            res,
            401,
            openAiError(
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              null,
            ),
          );
        }
        if (!keyOk(key)) {
          return sendJson(
            res,
            401,
            openAiError(
              `Incorrect API key provided: ${String(key).slice(0, 3)}*****${String(key).slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
              'invalid_api_key',
            ),
          );
        }
        if (method === 'GET' && path === '/v1/models') {
          return sendJson(res, 200, {
            object: 'list',
            data: Object.keys(options.models ?? {}).map((id) => ({
              id,
              object: 'model',
              created: 1,
              owned_by: 'fake',
            })),
          });
        }
        if (method === 'POST' && (path === '/v1/embeddings' || path === '/v1/chat/completions')) {
          if (!known(model)) {
            return sendJson(
              res,
              404,
              openAiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'model_not_found'),
            );
          }
          return path === '/v1/embeddings' ? openAiEmbeddings(res, model, body) : openAiChat(res, model, body);
        }
        return sendJson(res, 404, openAiError(`Invalid URL (${method} ${path})`, null));
      }

      // Azure OpenAI.
      const azure = /^\/openai\/deployments\/([^/]+)\/(embeddings|chat\/completions)$/.exec(path);
      if (method === 'POST' && azure) {
        if (!recorded.query.get('api-version'))
          return sendJson(res, 404, { error: { code: '404', message: 'Resource not found' } });
        const key = req.headers['api-key'] as string | undefined;
        if ((options.apiKey !== undefined && !key) || !keyOk(key)) {
          return sendJson(res, 401, {
            error: {
              code: '401',
              message:
                'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
            },
          });
        }
        const deployment = decodeURIComponent(azure[1] as string);
        if (!known(deployment)) {
          return sendJson(res, 404, {
            error: {
              code: 'DeploymentNotFound',
              message:
                'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
            },
          });
        }
        return azure[2] === 'embeddings' ? openAiEmbeddings(res, deployment, body) : openAiChat(res, deployment, body);
      }

      // Cohere.
      if (method === 'POST' && (path === '/v2/embed' || path === '/v2/chat')) {
        const key = readAuth(req.headers);
        if ((options.apiKey !== undefined && !key) || !keyOk(key)) {
          return sendJson(res, 401, { id: randomUUID(), message: 'invalid api token' });
        }
        if (!known(model)) {
          return sendJson(res, 404, {
            id: randomUUID(),
            message: `model '${model}' not found, make sure the correct model ID was used and that you have access to the model.`,
          });
        }
        if (path === '/v2/embed') {
          const texts = inputs(body.texts);
          if (!texts) return sendJson(res, 400, { id: randomUUID(), message: 'invalid request: texts is required' });
          if (!body.input_type) {
            return sendJson(res, 400, {
              id: randomUUID(),
              message: 'invalid request: valid input_type must be provided with the provided model',
            });
          }
          return sendJson(res, 200, {
            id: randomUUID(),
            embeddings: { float: texts.map((text) => fakeVector(text, dimensionsOf(model))) },
            texts,
            meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.length * 4 } },
            response_type: 'embeddings_by_type',
          });
        }
        const all = replyTokens(replyTo(lastUserText(body.messages), model));
        const tokens = typeof body.max_tokens === 'number' ? all.slice(0, body.max_tokens) : all;
        return sendJson(res, 200, {
          id: randomUUID(),
          finish_reason: tokens.length < all.length ? 'MAX_TOKENS' : 'COMPLETE',
          message: { role: 'assistant', content: [{ type: 'text', text: tokens.join('') }] },
          usage: { billed_units: { input_tokens: 5, output_tokens: tokens.length } },
        });
      }

      // Google Gemini.
      const gemini = /^\/v1beta\/models\/([^/:]+):(embedContent|generateContent)$/.exec(path);
      if (method === 'POST' && gemini) {
        const key = (req.headers['x-goog-api-key'] as string | undefined) ?? recorded.query.get('key') ?? undefined;
        if (options.apiKey !== undefined && !key) {
          return sendJson(res, 403, {
            error: {
              code: 403,
              message:
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
              status: 'PERMISSION_DENIED',
            },
          });
        }
        if (!keyOk(key)) {
          // Gemini answers a wrong key with 400, not 401.
          return sendJson(res, 400, {
            error: {
              code: 400,
              message: 'API key not valid. Please pass a valid API key.',
              status: 'INVALID_ARGUMENT',
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'API_KEY_INVALID',
                  domain: 'googleapis.com',
                  metadata: { service: 'generativelanguage.googleapis.com' },
                },
              ],
            },
          });
        }
        const name = decodeURIComponent(gemini[1] as string);
        const method_ = gemini[2] as string;
        if (!known(name)) {
          return sendJson(res, 404, {
            error: {
              code: 404,
              message: `models/${name} is not found for API version v1beta, or is not supported for ${method_}. Call ListModels to see the list of available models and their supported methods.`,
              status: 'NOT_FOUND',
            },
          });
        }
        if (method_ === 'embedContent') {
          const parts = (body.content as { parts?: { text?: string }[] } | undefined)?.parts ?? [];
          const textIn = parts.map((p) => p.text ?? '').join(' ');
          const wanted = typeof body.outputDimensionality === 'number' ? body.outputDimensionality : undefined;
          return sendJson(res, 200, { embedding: { values: fakeVector(textIn, wanted ?? dimensionsOf(name)) } });
        }
        const contents = (body.contents as { parts?: { text?: string }[] }[] | undefined) ?? [];
        const question =
          contents
            .at(-1)
            ?.parts?.map((p) => p.text ?? '')
            .join(' ') ?? '';
        const all = replyTokens(replyTo(question, name));
        const max = (body.generationConfig as { maxOutputTokens?: number } | undefined)?.maxOutputTokens;
        const tokens = typeof max === 'number' ? all.slice(0, max) : all;
        return sendJson(res, 200, {
          candidates: [
            {
              content: { parts: [{ text: tokens.join('') }], role: 'model' },
              finishReason: tokens.length < all.length ? 'MAX_TOKENS' : 'STOP',
              index: 0,
            },
          ],
          usageMetadata: {
            promptTokenCount: 4,
            candidatesTokenCount: tokens.length,
            totalTokenCount: 4 + tokens.length,
          },
          modelVersion: name,
        });
      }

      return sendJson(res, 404, { error: { message: `no fake route for ${method} ${path}` } });
    },
    (status) =>
      openAiError(
        `Injected failure (HTTP ${status})`,
        String(status),
        status >= 500 ? 'server_error' : 'invalid_request_error',
      ),
  );

  return {
    ...controls,
    setDimensions(dimensions) {
      forcedDimensions = dimensions;
    },
  };
}
