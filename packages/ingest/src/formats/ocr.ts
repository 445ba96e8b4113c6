/**
 * OCR of PDF pages without a text layer, through Debian's binaries when they are on the
 * machine: `pdftoppm` (poppler-utils) renders the page, `tesseract` (tesseract-ocr) reads
 * it. Both run with a timeout of their own; the sandbox's time limit still covers the parse.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ParseError } from '../limits.ts';

const run = promisify(execFile);
const PAGE_TIMEOUT_MS = 60_000;
let available: Promise<boolean> | undefined;

/** Whether OCR is allowed (`ParseLimits.ocr`, default on) and both binaries answer. */
export function ocrAvailable(allowed = true): Promise<boolean> {
  if (!allowed) return Promise.resolve(false);
  available ??= Promise.all([
    run('tesseract', ['--version'], { timeout: 5_000 }),
    run('pdftoppm', ['-v'], { timeout: 5_000 }),
  ]).then(
    () => true,
    () => false,
  );
  return available;
}

export async function ocrPdfPage(bytes: Uint8Array, page: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lumikb-ocr-'));
  try {
    const pdf = join(dir, 'in.pdf');
    await writeFile(pdf, bytes);
    await run(
      'pdftoppm',
      ['-f', String(page), '-l', String(page), '-r', '200', '-gray', '-png', '-singlefile', pdf, join(dir, 'page')],
      {
        timeout: PAGE_TIMEOUT_MS,
      },
    );
    await run('tesseract', [join(dir, 'page.png'), join(dir, 'out'), '--psm', '3'], { timeout: PAGE_TIMEOUT_MS });
    return await readFile(join(dir, 'out.txt'), 'utf8');
  } catch (error) {
    throw new ParseError(`OCR of page ${page} failed: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
