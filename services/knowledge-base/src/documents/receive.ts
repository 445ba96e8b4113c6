/**
 * Receives one uploaded file without holding it in memory: its type is decided from its
 * first MiB (refused files are never stored), then it streams into a blob while being
 * hashed and counted. A file over the limit is refused as soon as the limit is reached.
 */
import { createHash } from 'node:crypto';
import { ACCEPTED_FILE_TYPES, type DocumentFormat } from '@lumikb/contracts';
import type { Kysely } from '@lumikb/db';
import { detectFormat } from '@lumikb/ingest';
import type { KbContext } from '../context.ts';
import type { KnowledgeBaseDatabase } from '../db/database.ts';
import { errors } from '../errors.ts';
import { cleanFilename } from './service.ts';

/** Enough for every signature and zip directory we look at, and for text validity. */
export const SNIFF_BYTES = 1024 * 1024;

export interface IncomingFile {
  filename: string | undefined;
  /** The multipart file stream; busboy sets `truncated` when the size limit cut it. */
  stream: AsyncIterable<Buffer> & { truncated?: boolean; resume?: () => unknown };
}

export interface ReceivedFile {
  filename: string;
  format: DocumentFormat;
  contentType: string;
  sha256: string;
  size: number;
  blobId: number;
}

export async function receiveFile(
  ctx: KbContext,
  trx: Kysely<KnowledgeBaseDatabase>,
  file: IncomingFile,
  limit: number,
): Promise<ReceivedFile> {
  const filename = cleanFilename(file.filename);
  const tooLarge = () => {
    ctx.metrics.uploads.inc({ outcome: 'too_large' });
    return errors.FILE_TOO_LARGE(`The file is larger than the upload limit of ${formatBytes(limit)}`, {
      filename,
      max_bytes: limit,
    });
  };
  const iterator = file.stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const sample = Buffer.concat(head, headBytes);
  if (file.stream.truncated) throw tooLarge();
  const detected = detectFormat(ended ? sample : completeCharacters(sample), filename);
  if (!detected.ok) {
    // Let the rest of this part flow past, so the next part of the request can be read.
    if (!ended) for await (const _ of { [Symbol.asyncIterator]: () => iterator });
    if (file.stream.truncated) throw tooLarge();
    ctx.metrics.uploads.inc({ outcome: detected.reason });
    if (detected.reason === 'empty') throw errors.EMPTY_FILE(detected.message, { filename });
    throw errors.UNSUPPORTED_FILE_TYPE(detected.message, {
      filename,
      supported: ACCEPTED_FILE_TYPES.map((type) => type.format),
    });
  }

  const hash = createHash('sha256');
  let cut = false;
  async function* hashed(): AsyncGenerator<Buffer> {
    hash.update(sample);
    yield sample;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      hash.update(next.value);
      yield next.value;
    }
    cut = file.stream.truncated === true;
  }
  const blob = await ctx.blobs.write(trx, hashed());
  if (cut) {
    await ctx.blobs.delete(trx, blob.id);
    throw tooLarge();
  }
  return {
    filename,
    format: detected.format,
    contentType: detected.contentType,
    sha256: hash.digest('hex'),
    size: blob.size,
    blobId: blob.id,
  };
}

/**
 * Drops a character cut in half at the end of a sample of a longer file, so that text is
 * not mistaken for binary data: a partial UTF-8 sequence, or the odd byte of UTF-16.
 */
function completeCharacters(sample: Buffer): Buffer {
  const utf16 =
    sample.length >= 2 && ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff));
  if (utf16) return sample.subarray(0, sample.length - (sample.length % 2));
  for (let back = 1; back <= Math.min(4, sample.length); back++) {
    const byte = sample[sample.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? sample.subarray(0, sample.length - back) : sample;
  }
  return sample;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}
