/**
 * Client of the knowledge-base service's internal API (service identity): what to
 * process, the original bytes, and where to keep the extracted text. Originals and text
 * travel as streams; the KB service keeps them in its blob store, piece by piece.
 */
import type { ChunkLocation, DocumentFormat, DocumentStatus } from '@lumikb/contracts';
import type { LlmModel } from '@lumikb/llm';
import type { ServiceTokenSource } from '@lumikb/service-kit';

export interface ProcessingJob {
  document: {
    id: string;
    kb_id: string;
    filename: string;
    format: DocumentFormat;
    content_type: string;
    size_bytes: number;
    status: DocumentStatus;
    attempt: number;
    uploaded_at: string;
  };
  knowledge_base: {
    id: string;
    collection: string;
    dimensions: number;
    distance_metric: string;
    chunk_size: number;
    chunk_overlap: number;
    /** Text-analysis language of the KB's keyword index; absent from a KB service older than it (english then). */
    language?: string;
  };
  embedding_model: (LlmModel & { status: string }) | null;
}

/** The KB answered 404 (document or KB deleted) or 409 (a newer attempt exists). */
export class KbGoneError extends Error {
  override name = 'KbGoneError';
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message);
  }
}

/** The KB could not be reached or failed: worth another try later. */
export class KbUnavailableError extends Error {
  override name = 'KbUnavailableError';
}

export interface KbClient {
  job(documentId: string): Promise<ProcessingJob>;
  original(documentId: string): Promise<Buffer>;
  saveContent(
    documentId: string,
    content: {
      attempt: number;
      text: string;
      chunk_size: number;
      chunk_overlap: number;
      /** [start, end], and the chunk's location when the document has structure. */
      chunks: ([number, number] | [number, number, ChunkLocation])[];
    },
  ): Promise<void>;
}

export function createKbClient(options: { baseUrl: string; token: ServiceTokenSource; timeoutMs: number }): KbClient {
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let response: Response;
    try {
      const token = await options.token();
      response = await fetch(new URL(path, options.baseUrl), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new KbUnavailableError(
        `knowledge-base service unreachable at ${options.baseUrl}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (response.status === 404 || response.status === 409) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      throw new KbGoneError(body.message ?? `knowledge-base answered ${response.status}`, response.status);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new KbUnavailableError(
        `knowledge-base answered ${response.status} ${body.code ?? ''} ${body.message ?? ''}`.trim(),
      );
    }
    return response;
  };
  return {
    async job(documentId) {
      return (await (await call(`/internal/documents/${documentId}`)).json()) as ProcessingJob;
    },
    async original(documentId) {
      const response = await call(`/internal/documents/${documentId}/original`);
      // Parsing needs the whole file here; it arrives as a stream, read into one buffer of its announced size.
      return readBody(response);
    },
    async saveContent(documentId, content) {
      const { text, ...header } = content;
      await call(`/internal/documents/${documentId}/content`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.lumikb.content' },
        body: contentBody(header, text),
        duplex: 'half',
      } as RequestInit);
    },
  };
}

async function readBody(response: Response): Promise<Buffer> {
  const announced = Number(response.headers.get('content-length'));
  if (!response.body || !Number.isSafeInteger(announced) || announced <= 0) {
    return Buffer.from(await response.arrayBuffer());
  }
  const bytes = Buffer.allocUnsafe(announced);
  let filled = 0;
  try {
    for await (const piece of response.body) {
      if (filled + piece.length > announced) throw new Error('the original is longer than announced');
      bytes.set(piece, filled);
      filled += piece.length;
    }
  } catch (error) {
    throw new KbUnavailableError(
      `reading the original failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (filled !== announced) throw new KbUnavailableError(`the original ended after ${filled} of ${announced} bytes`);
  return bytes;
}

/** Characters of text per piece of the body (a piece never splits a surrogate pair). */
const TEXT_PIECE_CHARS = 256 * 1024;

/**
 * The content upload body: one JSON line with the attempt and chunk offsets, then the
 * text in UTF-8, sent in pieces so the text is never encoded whole.
 */
async function* contentBody(header: Record<string, unknown>, text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`${JSON.stringify(header)}\n`);
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + TEXT_PIECE_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield Buffer.from(text.slice(start, end), 'utf8');
    start = end;
  }
}
