/**
 * Zip budgets (docx today, any zip-based format tomorrow): entries are counted and every
 * entry is inflated through a byte counter that aborts as soon as the total passes the
 * limit, so a decompression bomb costs at most the limit in time and nothing in memory.
 * Declared sizes are checked first (cheap) but not trusted: the counter sees real bytes.
 */
import yauzl from 'yauzl';
import { ParseError, ParseLimitError, type ParseLimits } from './limits.ts';

type ArchiveLimits = Pick<ParseLimits, 'maxInflatedBytes' | 'maxArchiveEntries'>;

export interface ArchiveSummary {
  entries: number;
  inflatedBytes: number;
}

function openZip(bytes: Uint8Array): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      // Sizes are counted by us; yauzl's own check would only say "wrong size" later.
      { lazyEntries: true, validateEntrySizes: false, decodeStrings: true },
      (error, zip) => (error ? reject(error) : resolve(zip)),
    );
  });
}

/** `what` names the document in the message of an unreadable archive ("The Word document"). */
export async function inspectArchive(
  bytes: Uint8Array,
  limits: ArchiveLimits,
  what = 'The archive',
  keep?: (name: string) => boolean,
): Promise<ArchiveSummary & { files: Map<string, Buffer> }> {
  const files = new Map<string, Buffer>();
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (error) {
    throw new ParseError(`${what} cannot be read: ${(error as Error).message}`);
  }
  if (zip.entryCount > limits.maxArchiveEntries) {
    zip.close();
    throw new ParseLimitError('archive_entries', zip.entryCount, limits.maxArchiveEntries);
  }
  let inflated = 0;
  let entries = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => reject(error);
      zip.on('error', fail);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        entries++;
        // The central directory's count can lie; entries are counted as they come too.
        if (entries > limits.maxArchiveEntries) {
          return fail(new ParseLimitError('archive_entries', entries, limits.maxArchiveEntries, { atLeast: true }));
        }
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        if (inflated + entry.uncompressedSize > limits.maxInflatedBytes) {
          return fail(
            new ParseLimitError('inflated_bytes', inflated + entry.uncompressedSize, limits.maxInflatedBytes),
          );
        }
        const kept: Buffer[] | undefined = keep?.(entry.fileName) ? [] : undefined;
        zip.openReadStream(entry, (error, stream) => {
          if (error) return fail(error);
          stream.on('data', (chunk: Buffer) => {
            kept?.push(chunk);
            inflated += chunk.length;
            if (inflated > limits.maxInflatedBytes) {
              stream.destroy();
              fail(new ParseLimitError('inflated_bytes', inflated, limits.maxInflatedBytes, { atLeast: true }));
            }
          });
          stream.on('error', fail);
          stream.on('end', () => {
            if (kept) files.set(entry.fileName, Buffer.concat(kept));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw new ParseError(`${what} cannot be read: ${(error as Error).message}`);
  } finally {
    zip.close();
  }
  return { entries, inflatedBytes: inflated, files };
}

/**
 * The parts of a zip-based document that `keep` selects, inflated under the same budgets
 * as `inspectArchive` (every entry counts, kept or not), so what is kept is at most
 * `maxInflatedBytes` in memory.
 */
export async function readArchive(
  bytes: Uint8Array,
  limits: ArchiveLimits,
  what: string,
  keep: (name: string) => boolean,
): Promise<Map<string, Buffer>> {
  return (await inspectArchive(bytes, limits, what, keep)).files;
}
