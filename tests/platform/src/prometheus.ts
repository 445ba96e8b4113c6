/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough to
 * check what a service's GET /metrics exports: each metric family's declared type and
 * its samples with their labels.
 */

export interface Sample {
  /** The series name as written (`x_bucket`, `x_count`, …). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

export type Exposition = Map<string, MetricFamily>;

const SERIES_SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
  counter: ['', '_total'],
};

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Like Prometheus (Go's ParseFloat): NaN and Inf in any letter case (prom-client writes `Nan`). */
function parseValue(raw: string): number {
  const word = raw.toLowerCase();
  if (word === '+inf' || word === 'inf') return Number.POSITIVE_INFINITY;
  if (word === '-inf') return Number.NEGATIVE_INFINITY;
  if (word === 'nan') return Number.NaN;
  const value = Number(raw);
  if (raw.trim() === '' || Number.isNaN(value)) throw new Error(`not a sample value: "${raw}"`);
  return value;
}

/** `name{a="1",b="x"} 3 [timestamp]` → its parts. Throws on a malformed line. */
export function parseSampleLine(line: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
  if (!match) throw new Error(`malformed sample line: ${line}`);
  const [, name, rawLabels, rawValue] = match as unknown as [string, string, string | undefined, string];
  const labels: Record<string, string> = {};
  if (rawLabels) {
    const body = rawLabels.slice(1, -1);
    const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
    let at = 0;
    while (at < body.length) {
      pair.lastIndex = at;
      const m = pair.exec(body);
      if (!m) throw new Error(`malformed labels in: ${line}`);
      const [, key, value] = m as unknown as [string, string, string];
      if (key in labels) throw new Error(`label ${key} repeated in: ${line}`);
      labels[key] = unescapeLabel(value);
      at = pair.lastIndex;
    }
  }
  return { name, labels, value: parseValue(rawValue) };
}

/** The family a series belongs to: itself, or a histogram/summary whose suffix it carries. */
function familyOf(families: Exposition, series: string): MetricFamily | undefined {
  const direct = families.get(series);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count', '_total']) {
    if (!series.endsWith(suffix)) continue;
    const family = families.get(series.slice(0, -suffix.length));
    if (family && (SERIES_SUFFIXES[family.type] ?? ['']).includes(suffix)) return family;
  }
  return undefined;
}

/** Parses a whole exposition. Every sample must belong to a family declared by `# TYPE`. */
export function parseExposition(text: string): Exposition {
  const families: Exposition = new Map();
  const help = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!meta) continue; // a plain comment
      const [, kind, name, rest = ''] = meta as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (kind === 'HELP') {
        help.set(name, rest);
        const family = families.get(name);
        if (family) family.help = rest;
        continue;
      }
      if (families.has(name)) throw new Error(`# TYPE ${name} declared twice`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
        throw new Error(`unknown type "${rest}" for ${name}`);
      }
      families.set(name, { name, type: rest, help: help.get(name), samples: [] });
      continue;
    }
    const sample = parseSampleLine(line);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`sample ${sample.name} has no # TYPE line`);
    family.samples.push(sample);
  }
  return families;
}

/** True when every key of `subset` has the same value in `labels`. */
export function labelsMatch(labels: Record<string, string>, subset: Record<string, string>): boolean {
  return Object.entries(subset).every(([k, v]) => labels[k] === v);
}

/**
 * The sum of the samples of `series` whose labels include `where`: a counter's total,
 * a histogram's `_count`, a gauge's value. Undefined when no sample matches.
 */
export function sampleSum(
  exposition: Exposition,
  series: string,
  where: Record<string, string> = {},
): number | undefined {
  const family = familyOf(exposition, series);
  if (!family) return undefined;
  const matching = family.samples.filter((s) => s.name === series && labelsMatch(s.labels, where));
  if (matching.length === 0) return undefined;
  return matching.reduce((n, s) => n + s.value, 0);
}
