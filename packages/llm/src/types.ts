/**
 * Public types of the LLM routing package. Services (registry, knowledge-base, worker)
 * depend on these names; see docs/llm-routing.md.
 */
import type { ModelType, Provider } from '@lumikb/contracts';
import type { OutboundPolicy } from './outbound.ts';

export type { ModelType, Provider };

/** What the router needs to know about a registry model (a subset of ModelView). */
export interface LlmModel {
  id: string;
  type: ModelType;
  provider: Provider;
  model_id: string;
  api_endpoint: string | null;
  config: Record<string, unknown>;
}

export interface ConnectionTestResult {
  success: boolean;
  message: string;
  latency_ms: number;
  details: Record<string, unknown>;
}

export interface LiteLlmTarget {
  url: string;
  masterKey?: string;
}

export interface ConnectionTestOptions {
  /** Hard limit for the whole test (default 5000 ms). */
  timeoutMs?: number;
  /** When given and the model is not direct-call/local, test through the proxy alias instead of the provider's native API. */
  litellm?: LiteLlmTarget;
  /** The fence around the endpoints tested (default: a policy without own services or allowed hosts). */
  outbound?: OutboundPolicy;
}

export interface Passage {
  text: string;
  /** Marker used in answers, e.g. "[1]". */
  citation: string;
  score?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  passages?: Passage[];
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  signal?: AbortSignal;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type GenerateChunk =
  | { type: 'token'; text: string }
  | {
      type: 'done';
      /** The registry model id that actually answered. */
      model_id: string;
      fallback_used: boolean;
      /** Why the fallback was used (only when fallback_used). */
      fallback_reason?: string;
      finish_reason: string;
      usage?: TokenUsage;
    };
