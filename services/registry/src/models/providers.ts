/**
 * The one description of every provider's form: which fields exist per model type,
 * their types, limits, defaults and help. `GET /api/v1/admin/models/providers` serves
 * it to the SPA, and `validateModelInput` checks every create/update/test against it,
 * so the server never accepts a model the form could not have produced.
 */
import type { ModelType, Provider } from '@lumikb/contracts';
import { LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL_V1, LOCAL_GENERATION_MODEL } from '@lumikb/llm';
import { type Static, Type } from 'typebox';

export const FieldSpecSchema = Type.Object({
  key: Type.String({ description: 'model_id, api_endpoint, api_key or config.<name>' }),
  label: Type.String(),
  type: Type.Union([
    Type.Literal('string'),
    Type.Literal('url'),
    Type.Literal('secret'),
    Type.Literal('integer'),
    Type.Literal('number'),
    Type.Literal('boolean'),
    Type.Literal('enum'),
    Type.Literal('tags'),
    Type.Literal('range'),
  ]),
  required: Type.Boolean(),
  default: Type.Optional(Type.Unknown()),
  help: Type.String(),
  placeholder: Type.Optional(Type.String()),
  options: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
  minimum: Type.Optional(Type.Number()),
  maximum: Type.Optional(Type.Number()),
  exclusive_minimum: Type.Optional(Type.Number()),
  max_length: Type.Optional(Type.Integer()),
  pattern: Type.Optional(Type.String()),
  group: Type.Union([Type.Literal('connection'), Type.Literal('model'), Type.Literal('parameters')]),
});
export const ConstraintSpecSchema = Type.Object({
  kind: Type.Union([Type.Literal('lte'), Type.Literal('within')]),
  message: Type.String(),
  left: Type.Optional(Type.String()),
  right: Type.Optional(Type.String()),
  value: Type.Optional(Type.String()),
  range: Type.Optional(Type.String()),
});
export const ProvidersSchema = Type.Object({
  providers: Type.Array(
    Type.Object({
      id: Type.String(),
      label: Type.String(),
      description: Type.String(),
      routing: Type.Union([Type.Literal('in_process'), Type.Literal('direct'), Type.Literal('proxy')]),
      model_types: Type.Array(Type.String()),
      fields: Type.Record(Type.String(), Type.Array(FieldSpecSchema)),
      constraints: Type.Record(Type.String(), Type.Array(ConstraintSpecSchema)),
    }),
  ),
});

export type FieldSpec = Static<typeof FieldSpecSchema>;
export type FieldType = FieldSpec['type'];

/** A rule between two fields, checked by the server and shown by the form. */
export type ConstraintSpec =
  | { kind: 'lte'; left: string; right: string; message: string }
  | { kind: 'within'; value: string; range: string; message: string };

export interface ProviderSpec {
  id: Provider;
  label: string;
  description: string;
  /** `in_process`: built in; `direct`: called at its endpoint; `proxy`: through the LiteLLM proxy. */
  routing: 'in_process' | 'direct' | 'proxy';
  model_types: ModelType[];
  fields: Partial<Record<ModelType, FieldSpec[]>>;
  constraints: Partial<Record<ModelType, ConstraintSpec[]>>;
}

const TAGS: FieldSpec = {
  key: 'config.tags',
  label: 'Tags',
  type: 'tags',
  required: false,
  default: [],
  maximum: 20,
  max_length: 32,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  help: 'Free labels to find and group models (up to 20; letters, digits, ".", "_", "-").',
  group: 'parameters',
};

interface Tuning {
  /** Defaults for fields that are required when the provider has no sensible default. */
  dimensions?: number;
  maxTokens?: number;
  contextWindow?: number;
  maxOutputTokens?: number;
}

function embeddingParameters(t: Tuning = {}): FieldSpec[] {
  return [
    {
      key: 'config.dimensions',
      label: 'Dimensions',
      type: 'integer',
      required: true,
      ...(t.dimensions !== undefined ? { default: t.dimensions } : {}),
      minimum: 1,
      maximum: 16_384,
      placeholder: '768',
      help: 'Length of the vectors the model returns (e.g. 768, 1024, 1536, 3072). A connection test checks it; knowledge bases size their collection with it.',
      group: 'parameters',
    },
    {
      key: 'config.max_tokens',
      label: 'Max input tokens',
      type: 'integer',
      required: true,
      ...(t.maxTokens !== undefined ? { default: t.maxTokens } : {}),
      minimum: 1,
      maximum: 1_000_000,
      placeholder: '8192',
      help: 'Longest input the model embeds in one piece.',
      group: 'parameters',
    },
    {
      key: 'config.normalize',
      label: 'Normalize vectors',
      type: 'boolean',
      required: false,
      default: true,
      help: 'Scale vectors to unit length before storing them.',
      group: 'parameters',
    },
    {
      key: 'config.distance_metric',
      label: 'Distance metric',
      type: 'enum',
      required: false,
      default: 'cosine',
      options: ['cosine', 'dot', 'euclidean'],
      help: 'How knowledge bases compare vectors of this model.',
      group: 'parameters',
    },
    {
      key: 'config.batch_size',
      label: 'Batch size',
      type: 'integer',
      required: false,
      default: 32,
      minimum: 1,
      maximum: 2_048,
      help: 'Texts sent per embedding request during ingestion.',
      group: 'parameters',
    },
    TAGS,
  ];
}

function generationParameters(t: Tuning = {}): FieldSpec[] {
  return [
    {
      key: 'config.context_window',
      label: 'Context window (tokens)',
      type: 'integer',
      required: true,
      ...(t.contextWindow !== undefined ? { default: t.contextWindow } : {}),
      minimum: 1,
      maximum: 10_000_000,
      placeholder: '128000',
      help: 'Tokens the model reads at once: question, passages and answer together.',
      group: 'parameters',
    },
    {
      key: 'config.max_output_tokens',
      label: 'Max output tokens',
      type: 'integer',
      required: true,
      ...(t.maxOutputTokens !== undefined ? { default: t.maxOutputTokens } : {}),
      minimum: 1,
      maximum: 1_000_000,
      placeholder: '4096',
      help: 'Longest answer the model may produce; at most the context window.',
      group: 'parameters',
    },
    {
      key: 'config.supports_streaming',
      label: 'Supports streaming',
      type: 'boolean',
      required: false,
      default: true,
      help: 'Answers arrive token by token.',
      group: 'parameters',
    },
    {
      key: 'config.supports_json_mode',
      label: 'Supports JSON mode',
      type: 'boolean',
      required: false,
      default: false,
      help: 'The model can be asked for strictly JSON output.',
      group: 'parameters',
    },
    {
      key: 'config.supports_vision',
      label: 'Supports vision',
      type: 'boolean',
      required: false,
      default: false,
      help: 'The model accepts images.',
      group: 'parameters',
    },
    {
      key: 'config.temperature_default',
      label: 'Default temperature',
      type: 'number',
      required: false,
      default: 0.7,
      minimum: 0,
      maximum: 2,
      help: 'Temperature used when a request sets none; within the temperature range.',
      group: 'parameters',
    },
    {
      key: 'config.temperature_range',
      label: 'Temperature range',
      type: 'range',
      required: false,
      default: [0, 2],
      minimum: 0,
      maximum: 2,
      help: 'Lowest and highest temperature the model accepts, as [min, max].',
      group: 'parameters',
    },
    {
      key: 'config.top_p_default',
      label: 'Default top-p',
      type: 'number',
      required: false,
      default: 1,
      minimum: 0,
      maximum: 1,
      help: 'Nucleus sampling mass used when a request sets none.',
      group: 'parameters',
    },
    {
      key: 'config.cost_per_1k_input',
      label: 'Cost per 1k input tokens',
      type: 'number',
      required: false,
      default: 0,
      minimum: 0,
      maximum: 1_000,
      help: 'For usage reports, in your billing currency.',
      group: 'parameters',
    },
    {
      key: 'config.cost_per_1k_output',
      label: 'Cost per 1k output tokens',
      type: 'number',
      required: false,
      default: 0,
      minimum: 0,
      maximum: 1_000,
      help: 'For usage reports, in your billing currency.',
      group: 'parameters',
    },
    TAGS,
  ];
}

/** A rerank model's limits (docs/retrieval.md#reranking): how many passages one call may score. */
export const RERANK_MAX_DOCUMENTS = 1_000;
export const RERANK_DEFAULT_MAX_DOCUMENTS = 100;

function rerankParameters(): FieldSpec[] {
  return [
    {
      key: 'config.max_documents',
      label: 'Max passages per call',
      type: 'integer',
      required: false,
      default: RERANK_DEFAULT_MAX_DOCUMENTS,
      minimum: 1,
      maximum: RERANK_MAX_DOCUMENTS,
      help: 'Most passages one rerank request may carry; a knowledge base reranks at most this many of its best hits.',
      group: 'parameters',
    },
    TAGS,
  ];
}

function parametersOf(type: ModelType, tuning: Partial<Record<ModelType, Tuning>>): FieldSpec[] {
  if (type === 'embedding') return embeddingParameters(tuning.embedding);
  if (type === 'rerank') return rerankParameters();
  return generationParameters(tuning.generation);
}

const GENERATION_CONSTRAINTS: ConstraintSpec[] = [
  {
    kind: 'lte',
    left: 'config.max_output_tokens',
    right: 'config.context_window',
    message: 'max_output_tokens cannot exceed context_window',
  },
  {
    kind: 'within',
    value: 'config.temperature_default',
    range: 'config.temperature_range',
    message: 'temperature_default must lie within temperature_range',
  },
];

const modelName = (placeholder: string, help: string, label = 'Model'): FieldSpec => ({
  key: 'model_id',
  label,
  type: 'string',
  required: true,
  max_length: 255,
  placeholder,
  help,
  group: 'model',
});

const endpoint = (
  label: string,
  required: boolean,
  help: string,
  options: { default?: string; placeholder?: string } = {},
): FieldSpec => ({
  key: 'api_endpoint',
  label,
  type: 'url',
  required,
  ...(options.default !== undefined ? { default: options.default } : {}),
  ...(options.placeholder !== undefined ? { placeholder: options.placeholder } : {}),
  max_length: 2_048,
  help,
  group: 'connection',
});

const apiKey = (required: boolean, help: string): FieldSpec => ({
  key: 'api_key',
  label: 'API key',
  type: 'secret',
  required,
  max_length: 4_096,
  help: `${help} Stored encrypted and never shown again; leave empty when editing to keep the stored key.`,
  group: 'connection',
});

/** Every type shares the connection fields; each adds its parameters. */
function forTypes(
  types: ModelType[],
  connection: (type: ModelType) => FieldSpec[],
  tuning: Partial<Record<ModelType, Tuning>> = {},
): Pick<ProviderSpec, 'model_types' | 'fields' | 'constraints'> {
  const fields: Partial<Record<ModelType, FieldSpec[]>> = {};
  const constraints: Partial<Record<ModelType, ConstraintSpec[]>> = {};
  for (const type of types) {
    fields[type] = [...connection(type), ...parametersOf(type, tuning)];
    constraints[type] = type === 'generation' ? GENERATION_CONSTRAINTS : [];
  }
  return { model_types: types, fields, constraints };
}

export const PROVIDER_SPECS: readonly ProviderSpec[] = [
  {
    id: 'local',
    label: 'Built-in (local)',
    description:
      'Runs inside LumiKB with no AI service: a deterministic hashing embedder and an extractive answerer that quotes the best passages (it is not an LLM).',
    routing: 'in_process',
    ...forTypes(
      ['embedding', 'generation'],
      (type) => [
        {
          key: 'model_id',
          label: 'Model',
          type: 'enum',
          required: true,
          options:
            type === 'embedding'
              ? [LOCAL_EMBEDDING_MODEL.model_id, LOCAL_EMBEDDING_MODEL_V1.model_id]
              : [LOCAL_GENERATION_MODEL.model_id],
          default: type === 'embedding' ? LOCAL_EMBEDDING_MODEL.model_id : LOCAL_GENERATION_MODEL.model_id,
          help:
            type === 'embedding'
              ? `The built-in model. ${LOCAL_EMBEDDING_MODEL.model_id} (default, ${LOCAL_EMBEDDING_MODEL.dimensions} dimensions) ranks better; ${LOCAL_EMBEDDING_MODEL_V1.model_id} (${LOCAL_EMBEDDING_MODEL_V1.dimensions} dimensions) is kept for KBs embedded with it.`
              : 'The built-in model.',
          group: 'model',
        },
      ],
      {
        // The hashing embedders produce any length; the default is v2's (v1 was built for 384).
        embedding: { dimensions: LOCAL_EMBEDDING_MODEL.dimensions, maxTokens: 8_192 },
        generation: { contextWindow: 8_192, maxOutputTokens: 1_024 },
      },
    ),
  },
  {
    id: 'ollama',
    label: 'Ollama',
    description: 'A local or self-hosted Ollama server, called directly at its base URL.',
    routing: 'direct',
    ...forTypes(['embedding', 'generation'], (type) => [
      endpoint('Base URL', true, 'Where Ollama listens (its native API, without /v1).', {
        default: 'http://localhost:11434',
      }),
      modelName(
        type === 'embedding' ? 'nomic-embed-text' : 'llama3.2:latest',
        'The model name as `ollama list` shows it; pull it on the server first.',
      ),
    ]),
  },
  {
    id: 'lmstudio',
    label: 'LM Studio',
    description: "LM Studio's OpenAI-compatible server, called directly.",
    routing: 'direct',
    ...forTypes(['embedding', 'generation'], (type) => [
      endpoint('Base URL', true, 'The server address including /v1.', { default: 'http://localhost:1234/v1' }),
      apiKey(false, 'Only needed when "Require Authentication" is on in LM Studio.'),
      modelName(
        type === 'embedding' ? 'text-embedding-nomic-embed-text-v1.5' : 'qwen2.5-7b-instruct',
        'The model identifier shown in LM Studio (GET /v1/models).',
      ),
    ]),
  },
  {
    id: 'openai',
    label: 'OpenAI',
    description: 'OpenAI models, through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['embedding', 'generation'], (type) => [
      endpoint('Base URL', false, 'Leave empty for api.openai.com; set it only for a regional or proxy endpoint.', {
        placeholder: 'https://api.openai.com/v1',
      }),
      apiKey(true, 'An OpenAI API key (sk-…).'),
      {
        key: 'config.organization',
        label: 'Organization ID',
        type: 'string',
        required: false,
        max_length: 64,
        pattern: '^org-[A-Za-z0-9]+$',
        placeholder: 'org-…',
        help: 'Only when your key belongs to several organizations.',
        group: 'connection',
      },
      modelName(type === 'embedding' ? 'text-embedding-3-small' : 'gpt-4o-mini', 'The OpenAI model name.'),
    ]),
  },
  {
    id: 'azure',
    label: 'Azure OpenAI',
    description: 'A deployment in Azure OpenAI / Azure AI Foundry, through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['embedding', 'generation'], () => [
      endpoint('Endpoint', true, 'Your resource endpoint, without a path.', {
        placeholder: 'https://my-resource.openai.azure.com',
      }),
      apiKey(true, 'Key 1 or Key 2 of the Azure OpenAI resource.'),
      {
        key: 'config.api_version',
        label: 'API version',
        type: 'string',
        required: true,
        default: '2024-10-21',
        pattern: '^\\d{4}-\\d{2}-\\d{2}(-preview)?$',
        help: 'The data-plane API version, e.g. 2024-10-21.',
        group: 'connection',
      },
      modelName(
        'my-embedding-deployment',
        'The deployment name you chose in Azure (requests go to /openai/deployments/{deployment}).',
        'Deployment',
      ),
    ]),
  },
  {
    id: 'anthropic',
    label: 'Anthropic',
    description: 'Claude models, through the LiteLLM proxy. Anthropic offers no embedding models.',
    routing: 'proxy',
    ...forTypes(['generation'], () => [
      endpoint('Base URL', false, 'Leave empty for api.anthropic.com; set it only for a gateway in front of it.', {
        placeholder: 'https://api.anthropic.com',
      }),
      apiKey(true, 'An Anthropic API key (sk-ant-…).'),
      modelName('claude-3-5-haiku-latest', 'The Claude model name.'),
    ]),
  },
  {
    id: 'cohere',
    label: 'Cohere',
    description: 'Cohere models (embed, command, rerank), through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['embedding', 'generation', 'rerank'], (type) => [
      endpoint('Base URL', false, 'Leave empty for api.cohere.com; set it only for a gateway in front of it.', {
        placeholder: 'https://api.cohere.com',
      }),
      apiKey(true, 'A Cohere API key.'),
      modelName(
        type === 'embedding' ? 'embed-english-v3.0' : type === 'rerank' ? 'rerank-v3.5' : 'command-r',
        'The Cohere model name.',
      ),
    ]),
  },
  {
    id: 'google',
    label: 'Google Gemini',
    description: 'Gemini models (Google AI Studio), through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['embedding', 'generation'], (type) => [
      endpoint(
        'Base URL',
        false,
        'Leave empty for generativelanguage.googleapis.com; set it only for a gateway in front of it.',
        { placeholder: 'https://generativelanguage.googleapis.com' },
      ),
      apiKey(true, 'A Gemini API key from Google AI Studio.'),
      {
        key: 'config.project_id',
        label: 'Project ID',
        type: 'string',
        required: false,
        max_length: 64,
        pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
        help: 'The Google Cloud project, when your key is restricted to one.',
        group: 'connection',
      },
      modelName(type === 'embedding' ? 'text-embedding-004' : 'gemini-1.5-flash', 'The Gemini model name.'),
    ]),
  },
  {
    id: 'jina',
    label: 'Jina AI',
    description: 'Jina AI rerankers (POST /v1/rerank), through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['rerank'], () => [
      endpoint(
        'Base URL',
        false,
        'Leave empty for api.jina.ai; set it for a gateway or a self-hosted server with the same API (only its scheme, host and port are used: requests go to /v1/rerank).',
        { placeholder: 'https://api.jina.ai' },
      ),
      apiKey(true, 'A Jina AI API key (jina_…).'),
      modelName('jina-reranker-v2-base-multilingual', 'The Jina reranker model name.'),
    ]),
  },
  {
    id: 'custom',
    label: 'Custom (OpenAI-compatible)',
    description:
      'Any server that speaks the OpenAI API (vLLM, TGI, LocalAI, a corporate gateway…), or for rerank models the Jina-compatible /v1/rerank API, through the LiteLLM proxy.',
    routing: 'proxy',
    ...forTypes(['embedding', 'generation', 'rerank'], (type) => [
      type === 'rerank'
        ? endpoint(
            'Base URL',
            true,
            'A server with the Jina/Cohere-compatible rerank API (Infinity, a corporate gateway…); only its scheme, host and port are used: requests go to /v1/rerank.',
            { placeholder: 'https://rerank.example.internal' },
          )
        : endpoint('Base URL', true, 'The server address including /v1.', {
            placeholder: 'https://llm.example.internal/v1',
          }),
      apiKey(false, 'Only if the server requires one.'),
      modelName(type === 'rerank' ? 'bge-reranker-v2-m3' : 'my-model', 'The model name the server expects.'),
    ]),
  },
];

const BY_ID = new Map(PROVIDER_SPECS.map((p) => [p.id, p]));

export function providerSpec(provider: Provider): ProviderSpec {
  const spec = BY_ID.get(provider);
  if (!spec) throw new Error(`no provider spec for ${provider}`);
  return spec;
}
