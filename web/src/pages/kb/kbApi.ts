/**
 * Knowledge-base side of the API: types taken from the generated schema, and the two
 * calls the typed client cannot express — multipart uploads with progress (XHR) and the
 * chat answer stream (POST + server-sent events read with fetch's ReadableStream).
 */

import { readEventStream } from '@lumikb/contracts/event-stream';
import { useEffect } from 'react';
import {
  type ApiError,
  api,
  call,
  errorFromResponse,
  type ResponseOf,
  refreshSession,
  sessionFetch,
  toApiError,
} from '../../api/client.ts';
import { useQuery } from '../../api/hooks.ts';
import { keys } from '../../api/keys.ts';

export type Kb = ResponseOf<'/api/v1/knowledge-bases/{id}', 'get'>;
export type KbList = ResponseOf<'/api/v1/knowledge-bases', 'get'>;
export type KbModel = NonNullable<Kb['embedding_model']>;
export type ModelConfig = ResponseOf<'/api/v1/knowledge-bases/{id}/model-config', 'get'>;
export type ConfigOverrides = ModelConfig['config_overrides'];
export type EffectiveConfig = ModelConfig['effective_config'];
export type AvailableModel = ResponseOf<'/api/v1/models/available', 'get'>['items'][number];
export type KbDocument = ResponseOf<'/api/v1/knowledge-bases/{id}/documents/{docId}', 'get'>;
export type DocumentStatus = KbDocument['status'];
export type DocumentContent = ResponseOf<'/api/v1/knowledge-bases/{id}/documents/{docId}/content', 'get'>;
export type Chunk = DocumentContent['chunks'][number];
export type DocumentPart = DocumentContent['parts'][number];
export type SearchResponse = ResponseOf<'/api/v1/search', 'post'>;
export type SearchHit = SearchResponse['results'][number];

export type KbPermission = Kb['permission'];
const RANK: Record<KbPermission, number> = { READ: 1, WRITE: 2, ADMIN: 3 };
/** Whether the caller's permission on a KB is at least `needed`. */
export const canKb = (permission: KbPermission | undefined, needed: KbPermission): boolean =>
  permission !== undefined && RANK[permission] >= RANK[needed];

/** Every KB the caller can read (for pickers), by name. */
export function useReadableKbs() {
  return useQuery(keys.kbs.readable, async () => {
    const all: KbList['items'] = [];
    for (let offset = 0; ; offset += 200) {
      const page = await call(api.GET('/api/v1/knowledge-bases', { params: { query: { limit: 200, offset } } }));
      all.push(...page.items);
      if (page.items.length < 200 || all.length >= page.total) break;
    }
    return all.sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** Active models of both types (for creating a KB and its settings). */
export function useAvailableModels() {
  return useQuery(keys.availableModels, () => call(api.GET('/api/v1/models/available')));
}

/** Names the browser tab after what the page shows (routes with :params have no fixed title). */
export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title} · LumiKB`;
  }, [title]);
}

/** The viewer's address, opened at a chunk when given (search and chat citations link here). */
export function viewerPath(kbId: string, documentId: string, chunkIndex?: number): string {
  const base = `/kbs/${kbId}/documents/${documentId}`;
  return chunkIndex === undefined ? base : `${base}?chunk=${chunkIndex}`;
}

// ------------------------------------------------------------------ uploads

/**
 * A fresh Idempotency-Key. `crypto.randomUUID` exists only in secure contexts (https,
 * localhost); an instance served over plain http still gets 122 random bits.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Whether sending the same upload again can succeed: the server was not reached or its
 * answer was lost (network error), it failed or was overloaded (5xx), rate limited (429),
 * or still working on the same key (409 IDEMPOTENCY_IN_PROGRESS). A refusal of the file
 * itself (415, 413, 400, duplicate) would only be refused again.
 */
export function isRetryableUploadError(error: { status: number; code: string }): boolean {
  return (
    error.code === 'NETWORK_ERROR' ||
    error.status >= 500 ||
    error.status === 429 ||
    error.code === 'IDEMPOTENCY_IN_PROGRESS'
  );
}

export interface UploadHandle {
  promise: Promise<KbDocument>;
  abort: () => void;
}

/**
 * Uploads one file as multipart field `file` with XMLHttpRequest, for its upload
 * progress events. A 401 gets one session refresh (shared with every other caller) and
 * one retry; the server's refusal (415, 413, 400 …) rejects with its ApiError.
 *
 * `idempotencyKey` is sent as `Idempotency-Key`: the caller keeps one per file and sends
 * the same one again when it retries, so a retry after a lost response gets the
 * document the first attempt created instead of storing a second one.
 */
export function uploadDocument(
  kbId: string,
  file: File,
  onProgress: (fraction: number) => void,
  idempotencyKey?: string,
): UploadHandle {
  let xhr: XMLHttpRequest | undefined;
  let aborted = false;
  const send = () =>
    new Promise<{ status: number; body: unknown; headers: Headers; statusText: string }>((resolve, reject) => {
      const req = new XMLHttpRequest();
      xhr = req;
      req.open('POST', `/api/v1/knowledge-bases/${encodeURIComponent(kbId)}/documents`);
      req.withCredentials = true;
      if (idempotencyKey) req.setRequestHeader('Idempotency-Key', idempotencyKey);
      req.responseType = 'text';
      req.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
      };
      req.onload = () => {
        let body: unknown;
        try {
          body = req.responseText ? JSON.parse(req.responseText) : undefined;
        } catch {
          body = undefined;
        }
        const headers = new Headers();
        const requestId = req.getResponseHeader('x-request-id');
        if (requestId) headers.set('x-request-id', requestId);
        resolve({ status: req.status, body, headers, statusText: req.statusText });
      };
      req.onerror = () => reject(new TypeError('network error'));
      req.onabort = () => reject(new DOMException('aborted', 'AbortError'));
      const form = new FormData();
      form.append('file', file, file.name);
      req.send(form);
    });

  const promise = (async () => {
    try {
      let res = await send();
      if (res.status === 401 && !aborted && (await refreshSession())) {
        onProgress(0);
        res = await send();
      }
      if (res.status === 401) {
        // Let the app's session handling take over (it sends the user to sign-in).
        await sessionFetch(new Request('/api/v1/auth/me'));
      }
      if (res.status < 200 || res.status >= 300) {
        throw errorFromResponse(new Response(null, { status: res.status, headers: res.headers }), res.body);
      }
      onProgress(1);
      return res.body as KbDocument;
    } catch (error) {
      throw toApiError(error);
    }
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      xhr?.abort();
    },
  };
}

// ------------------------------------------------------------------ chat stream

export interface Citation extends SearchHit {
  marker: string;
}
export interface ChatDone {
  kb_id: string;
  model_id: string;
  model_name: string | null;
  fallback_used: boolean;
  fallback_reason: string | null;
  finish_reason: string;
  passages_retrieved: number;
  conversation_id?: string;
  message_id?: string;
}
export interface ChatHandlers {
  onToken: (text: string) => void;
  onCitations: (citations: Citation[]) => void;
  onDone: (done: ChatDone) => void;
  /** A failure inside the stream (`event: error`), after tokens may have arrived. */
  onStreamError: (error: ApiError) => void;
}

/**
 * Asks a KB: POST /api/v1/chat and reads its event stream as it arrives (EventSource
 * cannot POST). Errors before the stream (no access, retrieval down) reject with the
 * server's ApiError; a cancelled request resolves quietly.
 */
export async function askKb(
  body: {
    kb_id: string;
    message: string;
    conversation_id?: string;
    history?: { role: 'user' | 'assistant'; content: string }[];
  },
  handlers: ChatHandlers,
  signal: AbortSignal,
): Promise<void> {
  await streamAnswer('/api/v1/chat', body, handlers, signal);
}

/**
 * POSTs `body` to an answer-streaming route (chat, a conversation's messages, regenerate)
 * and feeds its events to `handlers`; `onOpen` hears the response headers first (they
 * name the saved conversation, question and answer).
 */
export async function streamAnswer(
  path: string,
  body: unknown,
  handlers: ChatHandlers & { onOpen?: (headers: Headers) => void },
  signal: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await sessionFetch(
      new Request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(body ?? {}),
        signal,
      }),
    );
  } catch (error) {
    if (signal.aborted) return;
    throw toApiError(error);
  }
  if (!res.ok || !res.body) throw errorFromResponse(res, await res.json().catch(() => undefined));
  handlers.onOpen?.(res.headers);
  try {
    for await (const message of readEventStream(res.body)) {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        continue;
      }
      if (message.event === 'token') handlers.onToken(String((data as { text?: unknown }).text ?? ''));
      else if (message.event === 'citations') handlers.onCitations((data as { citations: Citation[] }).citations ?? []);
      else if (message.event === 'done') handlers.onDone(data as ChatDone);
      else if (message.event === 'error') {
        const e = data as { code?: string; message?: string };
        handlers.onStreamError(
          errorFromResponse(new Response(null, { status: 503, headers: res.headers }), {
            code: e.code ?? 'STREAM_ERROR',
            message: e.message ?? 'The answer stream failed',
          }),
        );
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw toApiError(error);
  }
}
