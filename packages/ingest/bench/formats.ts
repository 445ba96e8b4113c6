/**
 * `pnpm bench ingest`: per format, documents/s and extracted MB/s through the parse
 * sandbox on generated files of three sizes, next to the time to only unzip (zip-based
 * formats, same budgeted reader) or decode (text formats) the same bytes in the same run,
 * and the sandbox process's peak RSS (VmHWM).
 */
import { readFileSync } from 'node:fs';
import type { DocumentFormat } from '@lumikb/contracts';
import { DEFAULT_PARSE_LIMITS, decodeText, inspectArchive, ParseSandbox } from '../src/index.ts';
import { makeDocx, makeEml, makeEpub, makeOdt, makePdf, makePptx, makeXlsx } from '../test/fixtures.ts';

const SIZES = { small: 20, medium: 200, large: 2000 } as const;
const line = (i: number) => `Item ${i}: the pump in hall ${i % 17} was serviced on day ${i % 28}.`;

const MAKERS: Record<string, (n: number) => Promise<Buffer> | Buffer> = {
  csv: (n) =>
    Buffer.from(['Item,Hall,Note', ...Array.from({ length: n }, (_, i) => `${i},${i % 17},${line(i)}`)].join('\n')),
  xlsx: (n) =>
    makeXlsx([
      {
        name: 'Sheet1',
        rows: [['Item', 'Hall', 'Note'], ...Array.from({ length: n }, (_, i) => [i, i % 17, line(i)])],
      },
    ]),
  pptx: (n) =>
    makePptx(
      Array.from({ length: Math.max(1, n / 10) }, (_, s) => ({
        title: `Slide ${s}`,
        body: Array.from({ length: 10 }, (_, i) => line(s * 10 + i)),
        notes: line(s),
      })),
    ),
  odt: (n) =>
    makeOdt(Array.from({ length: n }, (_, i) => (i % 10 === 0 ? { h: `Part ${i}`, level: 1 } : { p: line(i) }))),
  epub: (n) =>
    makeEpub(
      Array.from({ length: Math.max(1, n / 20) }, (_, c) => ({
        title: `Chapter ${c}`,
        paragraphs: Array.from({ length: 20 }, (_, i) => line(c * 20 + i)),
      })),
    ),
  eml: (n) => makeEml({ subject: 'Report', text: Array.from({ length: n }, (_, i) => line(i)).join('\n') }),
  md: (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i % 10 === 0 ? `## Part ${i}\n` : line(i))).join('\n\n')),
  docx: (n) => makeDocx(Array.from({ length: n }, (_, i) => line(i))),
  pdf: (n) => makePdf(Array.from({ length: Math.min(n, 50) }, (_, i) => line(i))),
};
const ZIPPED = new Set(['xlsx', 'pptx', 'odt', 'epub', 'docx']);

function peakRssMb(pids: number[]): number {
  let peak = 0;
  for (const pid of pids) {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      peak = Math.max(peak, Number(hwm ?? 0) / 1024);
    } catch {}
  }
  return Math.round(peak);
}

export async function benchIngestFormats(): Promise<Record<string, unknown>> {
  const sandbox = new ParseSandbox({ idleProcesses: 1 });
  const figures: Record<string, unknown> = {};
  try {
    await sandbox.extract(Buffer.from('warm up'), 'txt');
    for (const [format, make] of Object.entries(MAKERS)) {
      for (const [size, n] of Object.entries(SIZES)) {
        const bytes = await make(n);
        const runs = size === 'large' ? 3 : 10;
        let chars = 0;
        const t0 = performance.now();
        for (let i = 0; i < runs; i++)
          chars = (await sandbox.extractDocument(bytes, format as DocumentFormat)).text.length;
        const parseMs = (performance.now() - t0) / runs;
        const b0 = performance.now();
        for (let i = 0; i < runs; i++) {
          if (ZIPPED.has(format)) await inspectArchive(bytes, DEFAULT_PARSE_LIMITS);
          else decodeText(bytes);
        }
        const baseMs = (performance.now() - b0) / runs;
        figures[`${format} ${size} (${Math.round(bytes.length / 1024)} KiB)`] = {
          docs_per_s: Math.round((1000 / parseMs) * 10) / 10,
          extracted_mb_per_s: Math.round((chars / 1e6 / (parseMs / 1000)) * 100) / 100,
          parse_ms: Math.round(parseMs * 10) / 10,
          [ZIPPED.has(format) ? 'unzip_only_ms' : 'read_only_ms']: Math.round(baseMs * 100) / 100,
        };
      }
    }
    figures['sandbox peak RSS (MB)'] = peakRssMb(sandbox.pids);
  } finally {
    await sandbox.close();
  }
  return figures;
}
