/**
 * A fake LiteLLM proxy (reference/protocols.md §1): the model management API with its
 * real error shapes (the mislabelled 400 "Authentication Error, …" on a duplicate id, the
 * Python-repr message of a failed delete), health probes, master-key auth, and the
 * OpenAI-compatible `/v1/embeddings` and streaming `/v1/chat/completions` routed by
 * model alias to the registered deployments, and `/rerank` (also `/v1/rerank`,
 * `/v2/rerank`; Cohere's format) which, like the real proxy, calls the deployment's
 * upstream: `cohere/…` at `{api_base}/v1/rerank`, `jina_ai/…` at the origin of `api_base`
 * + `/v1/rerank`, with the deployment's key as bearer (a deployment without `api_base`
 * is scored here by word overlap).
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
  startControlledServer,
  writeChatCompletion,
} from './model-server-kit.ts';
import { overlapScore } from './rerank.ts';

export interface LiteLlmDeployment {
  model_id: string;
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
  /** true for models added through /model/new, false for config-file models. */
  db_model: boolean;
  created_at: string;
  updated_at: string;
}

export interface FakeLiteLlmOptions {
  /** Default `sk-fake-master`. */
  masterKey?: string;
  /** Off → /model/new and /model/delete answer 500, PATCH 400 (as without STORE_MODEL_IN_DB). */
  storeModelInDb?: boolean;
  /** Models from the proxy's config file (db_model:false; cannot be edited or deleted). */
  configModels?: {
    model_name: string;
    litellm_params: Record<string, unknown>;
    model_info?: Record<string, unknown>;
  }[];
  /** Embedding length when a deployment has no `model_info.output_vector_size` (default 384). */
  defaultDimensions?: number;
  /** The chat answer (default: an echo naming the alias). */
  reply?: (question: string, alias: string) => string;
  tokenDelayMs?: number;
  version?: string;
}

export interface FakeLiteLlm extends FakeControls {
  masterKey: string;
  /** Every deployment, with the unredacted litellm_params the proxy received. */
  deployments(): LiteLlmDeployment[];
  deployment(id: string): LiteLlmDeployment | undefined;
  byAlias(alias: string): LiteLlmDeployment[];
  /** Forces every embedding to this length (dimension-mismatch tests); undefined restores. */
  setDimensions(dimensions: number | undefined): void;
  /** /health/readiness answers 503 while false. */
  setReady(ready: boolean): void;
  setStoreModelInDb(on: boolean): void;
  /** The next chat streams fail with an error event after this many tokens. */
  failStreamsAfter(tokens: number | undefined): void;
}

const proxyError = (status: number, message: string, type = 'None', param: string | null = 'None') => ({
  error: { message, type, param, code: String(status) },
});

const STORE_MODEL_IN_DB_ERROR = {
  error: "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.",
};

/** What /model/info shows: no api_key (or other credentials), an id and db_model flag. */
function sanitized(d: LiteLlmDeployment) {
  const params = { ...d.litellm_params };
  for (const key of ['api_key', 'client_secret', 'aws_secret_access_key', 'vertex_credentials']) delete params[key];
  return {
    model_name: d.model_name,
    litellm_params: params,
    model_info: { ...d.model_info, id: d.model_id, db_model: d.db_model },
  };
}

/** The DB row /model/new and PATCH return (stored params are encrypted). */
function row(d: LiteLlmDeployment) {
  const encrypted = Object.fromEntries(
    Object.entries(d.litellm_params).map(([k, v]) => [
      k,
      k === 'api_key' ? Buffer.from(`enc:${randomUUID()}`).toString('base64') : v,
    ]),
  );
  return {
    model_id: d.model_id,
    model_name: d.model_name,
    litellm_params: encrypted,
    model_info: { ...d.model_info, id: d.model_id },
    created_at: d.created_at,
    created_by: 'default_user_id',
    updated_at: d.updated_at,
    updated_by: 'default_user_id',
  };
}

export async function startFakeLiteLLM(
  t: Teardown | undefined,
  options: FakeLiteLlmOptions = {},
): Promise<FakeLiteLlm> {
  const masterKey = options.masterKey ?? 'sk-fake-master';
  const deployments = new Map<string, LiteLlmDeployment>();
  let storeInDb = options.storeModelInDb ?? true;
  let forcedDimensions: number | undefined;
  let ready = true;
  let streamFailAfter: number | undefined;
  const now = () => new Date().toISOString();

  for (const model of options.configModels ?? []) {
    const id = String(model.model_info?.id ?? randomUUID().replace(/-/g, ''));
    deployments.set(id, {
      model_id: id,
      model_name: model.model_name,
      litellm_params: { ...model.litellm_params },
      model_info: { ...model.model_info },
      db_model: false,
      created_at: now(),
      updated_at: now(),
    });
  }

  const byAlias = (alias: string) => [...deployments.values()].filter((d) => d.model_name === alias);

  const invalidModel = (res: ServerResponse, model: unknown) =>
    sendJson(
      res,
      400,
      proxyError(
        400,
        `Invalid model name passed in model=${String(model)}. Call \`/v1/models\` to view available models for your key.`,
        'invalid_request_error',
        'model',
      ),
    );

  /** LiteLLM's rerank: the upstream's answer in Cohere's shape, its failures as proxy errors. */
  const rerank = async (res: ServerResponse, deployment: LiteLlmDeployment, body: Record<string, unknown>) => {
    const params = deployment.litellm_params;
    const [prefix, ...rest] = String(params.model).split('/');
    const upstreamModel = rest.join('/');
    if (prefix !== 'cohere' && prefix !== 'jina_ai') {
      return sendJson(
        res,
        400,
        proxyError(400, `litellm.BadRequestError: Unsupported provider for rerank: ${prefix}`, 'invalid_request_error'),
      );
    }
    const query = body.query;
    const documents = body.documents;
    if (typeof query !== 'string' || !Array.isArray(documents)) {
      return sendJson(res, 422, {
        detail: [
          { type: 'missing', loc: ['body', typeof query !== 'string' ? 'query' : 'documents'], msg: 'Field required' },
        ],
      });
    }
    const topN = typeof body.top_n === 'number' ? body.top_n : undefined;
    const apiBase = typeof params.api_base === 'string' ? params.api_base : undefined;
    if (!apiBase) {
      const results = documents
        .map((d, index) => ({ index, relevance_score: overlapScore(query, String(d)) }))
        .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
        .slice(0, topN ?? documents.length);
      return sendJson(res, 200, { id: randomUUID(), results, meta: {} });
    }
    const url =
      prefix === 'cohere'
        ? apiBase.replace(/\/+$/, '').endsWith('/v1/rerank')
          ? apiBase
          : `${apiBase.replace(/\/+$/, '')}/v1/rerank`
        : `${new URL(apiBase).origin}/v1/rerank`;
    const provider = prefix === 'cohere' ? 'Cohere' : 'Jina_ai';
    let upstream: Response;
    try {
      upstream = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(typeof params.api_key === 'string' ? { authorization: `Bearer ${params.api_key}` } : {}),
        },
        body: JSON.stringify({
          model: upstreamModel,
          query,
          documents,
          ...(topN !== undefined ? { top_n: topN } : {}),
          ...(prefix === 'jina_ai' ? { return_documents: false } : {}),
        }),
      });
    } catch (error) {
      return sendJson(
        res,
        500,
        proxyError(500, `litellm.APIConnectionError: ${provider}Exception - ${(error as Error).message}`),
      );
    }
    const text = await upstream.text();
    if (!upstream.ok) {
      return sendJson(
        res,
        upstream.status,
        proxyError(upstream.status, `litellm.APIError: ${provider}Exception - ${text.slice(0, 500)}`),
      );
    }
    let parsed: { id?: string; results?: unknown; meta?: unknown; usage?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      return sendJson(res, 500, proxyError(500, `litellm.APIError: ${provider}Exception - invalid JSON`));
    }
    return sendJson(res, 200, {
      id: parsed.id ?? randomUUID(),
      results: parsed.results,
      meta: parsed.meta ?? { billed_units: parsed.usage ?? {} },
    });
  };

  const controls = await startControlledServer(
    t,
    async (req, res, recorded) => {
      const { path, method } = recorded;
      const body = (recorded.body ?? {}) as Record<string, unknown>;

      if (method === 'GET' && (path === '/health/liveliness' || path === '/health/liveness')) {
        return sendJson(res, 200, "I'm alive!");
      }
      if (method === 'GET' && path === '/health/readiness') {
        return sendJson(res, ready ? 200 : 503, {
          status: ready ? 'connected' : 'unhealthy',
          db: storeInDb ? 'connected' : 'Not connected',
          cache: null,
          litellm_version: options.version ?? '1.74.0',
          success_callbacks: [],
          last_updated: now(),
        });
      }

      const key = readAuth(req.headers) ?? (req.headers['x-litellm-api-key'] as string | undefined);
      if (!key) {
        return sendJson(res, 401, proxyError(401, 'Authentication Error, No api key passed in.', 'auth_error'));
      }
      if (key !== masterKey) {
        return sendJson(
          res,
          401,
          proxyError(
            401,
            `Authentication Error, Invalid proxy server token passed. Received API Key = ${key.slice(0, 5)}...${key.slice(-4)}, Key Hash (Token) =${randomUUID().replace(/-/g, '')}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
            'auth_error',
          ),
        );
      }

      if (method === 'POST' && path === '/model/new') {
        if (!storeInDb) return sendJson(res, 500, STORE_MODEL_IN_DB_ERROR);
        const params = body.litellm_params as Record<string, unknown> | undefined;
        if (typeof body.model_name !== 'string' || !params || typeof params.model !== 'string') {
          return sendJson(res, 422, {
            detail: [
              {
                type: 'missing',
                loc: ['body', typeof body.model_name !== 'string' ? 'model_name' : 'litellm_params'],
                msg: 'Field required',
              },
            ],
          });
        }
        const info = { ...((body.model_info as Record<string, unknown> | undefined) ?? {}) };
        const id = info.id === undefined || info.id === null ? randomUUID() : String(info.id);
        if (deployments.has(id)) {
          return sendJson(
            res,
            400,
            proxyError(400, 'Authentication Error, Unique constraint failed on the fields: (`model_id`)', 'auth_error'),
          );
        }
        const deployment: LiteLlmDeployment = {
          model_id: id,
          model_name: body.model_name,
          litellm_params: { ...params },
          model_info: { ...info, id },
          db_model: true,
          created_at: now(),
          updated_at: now(),
        };
        deployments.set(id, deployment);
        return sendJson(res, 200, row(deployment));
      }

      if (method === 'GET' && (path === '/model/info' || path === '/v1/model/info')) {
        const wanted = recorded.query.get('litellm_model_id');
        if (wanted !== null) {
          const found = deployments.get(wanted);
          if (!found)
            return sendJson(res, 400, { detail: { error: `Model id = ${wanted} not found on litellm proxy` } });
          return sendJson(res, 200, { data: [sanitized(found)] });
        }
        return sendJson(res, 200, { data: [...deployments.values()].map(sanitized) });
      }

      if (method === 'POST' && path === '/model/delete') {
        if (!storeInDb) return sendJson(res, 500, STORE_MODEL_IN_DB_ERROR);
        const id = String(body.id ?? '');
        const found = deployments.get(id);
        if (!found?.db_model) {
          return sendJson(res, 400, proxyError(400, `{'error': 'Model with id=${id} not found in db'}`));
        }
        deployments.delete(id);
        return sendJson(res, 200, { message: `Model: ${id} deleted successfully` });
      }

      const patch = /^\/model\/([^/]+)\/update$/.exec(path);
      if ((method === 'PATCH' && patch) || (method === 'POST' && path === '/model/update')) {
        const id = patch
          ? decodeURIComponent(patch[1] as string)
          : String((body.model_info as Record<string, unknown> | undefined)?.id ?? '');
        if (!patch && (!id || !body.litellm_params)) {
          return sendJson(res, 400, proxyError(400, 'model_info.id and litellm_params are required'));
        }
        if (!storeInDb) {
          return sendJson(res, 400, proxyError(400, 'Model updates only supported for DB-stored models'));
        }
        const found = deployments.get(id);
        if (!found) return sendJson(res, 404, proxyError(404, `Model ${id} not found on proxy.`));
        if (!found.db_model) {
          return sendJson(
            res,
            400,
            proxyError(400, 'Cannot edit config-based model. Store model in DB via /model/new first.'),
          );
        }
        if (typeof body.model_name === 'string') found.model_name = body.model_name;
        if (body.litellm_params && typeof body.litellm_params === 'object') {
          found.litellm_params = { ...found.litellm_params, ...(body.litellm_params as Record<string, unknown>) };
        }
        if (body.model_info && typeof body.model_info === 'object') {
          found.model_info = { ...found.model_info, ...(body.model_info as Record<string, unknown>), id };
        }
        found.updated_at = now();
        return sendJson(res, 200, row(found));
      }

      if (method === 'GET' && (path === '/v1/models' || path === '/models')) {
        const names = [...new Set([...deployments.values()].map((d) => d.model_name))];
        return sendJson(res, 200, {
          object: 'list',
          data: names.map((id) => ({ id, object: 'model', created: 1_677_610_602, owned_by: 'openai' })),
        });
      }

      if (method === 'POST' && (path === '/v1/embeddings' || path === '/embeddings')) {
        const [deployment] = byAlias(String(body.model));
        if (!deployment) return invalidModel(res, body.model);
        const input = typeof body.input === 'string' ? [body.input] : body.input;
        if (!Array.isArray(input) || input.length === 0) {
          return sendJson(
            res,
            400,
            proxyError(400, 'input must be a string or a non-empty array', 'invalid_request_error'),
          );
        }
        const size = deployment.model_info.output_vector_size;
        const dimensions = forcedDimensions ?? (typeof size === 'number' ? size : (options.defaultDimensions ?? 384));
        const base64 = body.encoding_format === 'base64';
        return sendJson(res, 200, {
          object: 'list',
          data: input.map((text, index) => {
            const vector = fakeVector(String(text), dimensions);
            return { object: 'embedding', index, embedding: base64 ? base64Floats(vector) : vector };
          }),
          model: String(deployment.litellm_params.model),
          usage: { prompt_tokens: input.length * 4, total_tokens: input.length * 4 },
        });
      }

      if (method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
        const alias = String(body.model);
        const [deployment] = byAlias(alias);
        if (!deployment) return invalidModel(res, body.model);
        const question = lastUserText(body.messages);
        const reply = options.reply?.(question, alias) ?? `Fake answer from ${alias}: you asked "${question}".`;
        const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
        return writeChatCompletion(res, {
          model: String(deployment.litellm_params.model),
          reply,
          stream: body.stream === true,
          ...(typeof body.max_tokens === 'number' ? { maxTokens: body.max_tokens } : {}),
          includeUsage: streamOptions?.include_usage === true,
          tokenDelayMs: options.tokenDelayMs ?? 0,
          ...(streamFailAfter !== undefined ? { failAfterTokens: streamFailAfter } : {}),
        });
      }

      if (method === 'POST' && (path === '/rerank' || path === '/v1/rerank' || path === '/v2/rerank')) {
        const [deployment] = byAlias(String(body.model));
        if (!deployment) return invalidModel(res, body.model);
        return rerank(res, deployment, body);
      }

      return sendJson(res, 404, { detail: 'Not Found' });
    },
    (status) => proxyError(status, `Injected failure (HTTP ${status})`, status === 401 ? 'auth_error' : 'None'),
  );

  return {
    ...controls,
    masterKey,
    deployments: () => [...deployments.values()],
    deployment: (id) => deployments.get(id),
    byAlias,
    setDimensions(dimensions) {
      forcedDimensions = dimensions;
    },
    setReady(value) {
      ready = value;
    },
    setStoreModelInDb(on) {
      storeInDb = on;
    },
    failStreamsAfter(tokens) {
      streamFailAfter = tokens;
    },
  };
}
