/**
 * Client of the knowledge-base service's internal API (service identity): what to
 * process, the original bytes, and where to keep the extracted text. The one internal
 * client carries the calls (service token, time budget, answers checked against the
 * contract in @lumikb/contracts, failures as InternalCallError with platform codes).
 * Originals and text travel as streams; the KB service keeps them in its blob store.
 */
import {
  CONTENT_MEDIA_TYPE,
  type ContentHeader,
  INTERNAL_KB_PATHS,
  type ProcessingJob,
  ProcessingJobSchema,
} from '@lumikb/contracts';
import { createInternalClient, InternalCallError, type InternalClientOptions } from '@lumikb/service-kit';

export type { ProcessingJob };

/** The KB answered 404 (document or KB deleted) or 409 (a newer attempt exists). */
export class KbGoneError extends InternalCallError {
  override name = 'KbGoneError';
  constructor(
    cause: InternalCallError,
    override readonly status: 404 | 409,
  ) {
    super(cause.code, cause.message, status, cause.upstreamCode);
  }
}

export interface KbClient {
  job(documentId: string): Promise<ProcessingJob>;
  original(documentId: string): Promise<Buffer>;
  /** The text, with its attempt and chunk offsets ([start, end], and the chunk's location when the document has structure). */
  saveContent(documentId: string, content: ContentHeader & { text: string }): Promise<void>;
}

/** Any other failure (unreachable, timeout, 5xx, a broken answer) stays an InternalCallError: worth another try. */
const gone = <T>(call: Promise<T>): Promise<T> =>
  call.catch((error: unknown) => {
    if (error instanceof InternalCallError && (error.status === 404 || error.status === 409)) {
      throw new KbGoneError(error, error.status);
    }
    throw error;
  });

export function createKbClient(options: Omit<InternalClientOptions, 'target'>): KbClient {
  const client = createInternalClient({ target: 'the knowledge-base service', ...options });
  return {
    job: (documentId) => gone(client.get(INTERNAL_KB_PATHS.job(documentId), ProcessingJobSchema)),
    original: (documentId) =>
      gone(
        (async () => {
          // Parsing needs the whole file; it is a stream, read into one buffer of its announced
          // size (the KB's upload limit already bounds it).
          const download = await client.download(INTERNAL_KB_PATHS.original(documentId), {
            maxBytes: Number.MAX_SAFE_INTEGER,
          });
          if (download.length === undefined) {
            const pieces: Uint8Array[] = [];
            for await (const piece of download.body) pieces.push(piece);
            return Buffer.concat(pieces);
          }
          const bytes = Buffer.allocUnsafe(download.length);
          let filled = 0;
          for await (const piece of download.body) {
            bytes.set(piece, filled);
            filled += piece.length;
          }
          return bytes;
        })(),
      ),
    saveContent: (documentId, { text, ...header }) =>
      gone(
        client.upload(INTERNAL_KB_PATHS.content(documentId), {
          contentType: CONTENT_MEDIA_TYPE,
          content: contentBody(header, text),
        }),
      ),
  };
}

/** Characters of text per piece of the body (a piece never splits a surrogate pair). */
const TEXT_PIECE_CHARS = 256 * 1024;

/**
 * The content upload body: one JSON line with the attempt and chunk offsets, then the
 * text in UTF-8, sent in pieces so the text is never encoded whole.
 */
async function* contentBody(header: ContentHeader, text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`${JSON.stringify(header)}\n`);
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + TEXT_PIECE_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield Buffer.from(text.slice(start, end), 'utf8');
    start = end;
  }
}
