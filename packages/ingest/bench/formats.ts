/**
 * `pnpm bench ingest`: per format, documents/s and extracted MB/s through the parse
 * sandbox on generated files of three sizes, next to the time to only unzip (zip-based
 * formats, same budgeted reader) or read (decode: text formats and PDF) the same bytes in
 * the same run, and the peak RSS per format of the sandbox process that parses (its VmHWM,
 * reset before each format) and of this process, which stands for the worker around it.
 * Ends with the whole as one Markdown table.
 *
 * Quick run (a few seconds): `INGEST_FORMATS_BENCH_SIZES=small,medium pnpm bench ingest`;
 * `INGEST_FORMATS_BENCH_FORMATS=csv,xlsx` picks formats, `INGEST_FORMATS_BENCH_RUNS` the
 * repetitions (default 10, 3 for the large files).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { DocumentFormat } from '@lumikb/contracts';
import { DEFAULT_PARSE_LIMITS, decodeText, inspectArchive, ParseSandbox } from '../src/index.ts';
import { makeDocx, makeEml, makeEpub, makeHtml, makeOdt, makePdfPages, makePptx, makeXlsx } from '../test/fixtures.ts';

const ALL_SIZES = { small: 20, medium: 200, large: 2000 } as const;
const pick = <T extends object>(all: T, env: string | undefined): Partial<T> =>
  env
    ? (Object.fromEntries(
        env
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k in all)
          .map((k) => [k, all[k as keyof T]]),
      ) as Partial<T>)
    : all;
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
  tsv: (n) =>
    Buffer.from(['Item\tHall\tNote', ...Array.from({ length: n }, (_, i) => `${i}\t${i % 17}\t${line(i)}`)].join('\n')),
  txt: (n) => Buffer.from(Array.from({ length: n }, (_, i) => line(i)).join('\n')),
  html: (n) =>
    makeHtml(
      'Report',
      Array.from({ length: n }, (_, i) => line(i)),
    ),
  eml: (n) => makeEml({ subject: 'Report', text: Array.from({ length: n }, (_, i) => line(i)).join('\n') }),
  md: (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i % 10 === 0 ? `## Part ${i}\n` : line(i))).join('\n\n')),
  docx: (n) => makeDocx(Array.from({ length: n }, (_, i) => line(i))),
  // 40 lines a page: 1, 5 and 50 pages.
  pdf: (n) =>
    makePdfPages(
      Array.from({ length: Math.ceil(n / 40) }, (_, p) =>
        Array.from({ length: Math.min(40, n - p * 40) }, (_, i) => line(p * 40 + i)),
      ),
    ),
};
const ZIPPED = new Set(['xlsx', 'pptx', 'odt', 'epub', 'docx']);

/** Resets the processes' peak RSS (VmHWM) to their current RSS (Linux: clear_refs 5), so the next reading is one format's. */
function resetPeakRss(pids: number[]): void {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {}
  }
}

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

interface Row {
  format: string;
  size: string;
  kib: number;
  docsPerS: number;
  mbPerS: number;
  parseMs: number;
  baseline: string;
  baseMs: number;
}

export async function benchIngestFormats(): Promise<Record<string, unknown>> {
  const sizes = pick(ALL_SIZES, process.env.INGEST_FORMATS_BENCH_SIZES);
  const makers = pick(MAKERS, process.env.INGEST_FORMATS_BENCH_FORMATS);
  const runsOf = (size: string) => Number(process.env.INGEST_FORMATS_BENCH_RUNS ?? (size === 'large' ? 3 : 10));
  const sandbox = new ParseSandbox({ idleProcesses: 1 });
  const figures: Record<string, unknown> = {};
  const rows: Row[] = [];
  const rss: Record<string, { sandbox: number; worker: number }> = {};
  try {
    await sandbox.extract(Buffer.from('warm up'), 'txt');
    for (const [format, make] of Object.entries(makers) as [string, (n: number) => Promise<Buffer> | Buffer][]) {
      resetPeakRss([...sandbox.pids, process.pid]);
      // One untimed parse first: loading the format's parser (pdf.js, mammoth) is a cost
      // paid once per sandbox process, not per document.
      await sandbox.extractDocument(await make(ALL_SIZES.small), format as DocumentFormat);
      for (const [size, n] of Object.entries(sizes) as [string, number][]) {
        const bytes = await make(n);
        const runs = runsOf(size);
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
        const row: Row = {
          format,
          size,
          kib: Math.round(bytes.length / 1024),
          docsPerS: Math.round((1000 / parseMs) * 10) / 10,
          mbPerS: Math.round((chars / 1e6 / (parseMs / 1000)) * 100) / 100,
          parseMs: Math.round(parseMs * 10) / 10,
          baseline: ZIPPED.has(format) ? 'unzip only' : 'read only',
          baseMs: Math.round(baseMs * 100) / 100,
        };
        rows.push(row);
        figures[`${format} ${size} (${row.kib} KiB)`] = {
          docs_per_s: row.docsPerS,
          extracted_mb_per_s: row.mbPerS,
          parse_ms: row.parseMs,
          [ZIPPED.has(format) ? 'unzip_only_ms' : 'read_only_ms']: row.baseMs,
        };
      }
      rss[format] = { sandbox: peakRssMb(sandbox.pids), worker: peakRssMb([process.pid]) };
      figures[`${format} peak RSS (MB)`] = rss[format];
    }
  } finally {
    await sandbox.close();
  }
  const table = [
    '| format | size | KiB | documents/s | extracted MB/s | parse ms | unzip / read only ms | sandbox peak RSS MB | worker peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.format} | ${r.size} | ${r.kib} | ${r.docsPerS} | ${r.mbPerS} | ${r.parseMs} | ${r.baseMs} (${r.baseline}) | ${rss[r.format]?.sandbox ?? ''} | ${rss[r.format]?.worker ?? ''} |`,
    ),
  ];
  figures.table = `\n${table.join('\n')}`;
  return figures;
}
