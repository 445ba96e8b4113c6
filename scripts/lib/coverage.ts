/**
 * Makes tap's coverage files readable by its report before the thresholds are checked.
 *
 * Why: tsx transforms each TypeScript file with an inline source map, but it leaves the
 * original text out of the map (`sourcesContent: null`) unless NODE_V8_COVERAGE is set when
 * it loads — and tap collects coverage through the inspector instead. Without the original
 * text, c8 (behind `tap report`) cannot map the V8 ranges back to lines and counts every
 * `.ts` file as fully covered: the report listed 100 % for files no test had loaded whole.
 * Filling `sourcesContent` from the files on disk gives the report real figures.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface SourceMapEntry {
  data?: { sources?: string[]; sourcesContent?: (string | null)[] | null };
}
interface CoverageFile {
  'source-map-cache'?: Record<string, SourceMapEntry>;
}

const originalText = (source: string): string | null => {
  if (!source.startsWith('file://')) return null;
  const path = fileURLToPath(source);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
};

/** Fills missing `sourcesContent` in every coverage file of `dir`; returns how many maps it filled. */
export function restoreCoverageSources(dir: string): number {
  if (!existsSync(dir)) return 0;
  let filled = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    const coverage = JSON.parse(readFileSync(file, 'utf8')) as CoverageFile;
    let changed = false;
    for (const entry of Object.values(coverage['source-map-cache'] ?? {})) {
      const map = entry.data;
      if (!map?.sources || map.sources.every((_, i) => typeof map.sourcesContent?.[i] === 'string')) continue;
      map.sourcesContent = map.sources.map((source, i) => map.sourcesContent?.[i] ?? originalText(source));
      changed = true;
      filled++;
    }
    if (changed) writeFileSync(file, JSON.stringify(coverage));
  }
  return filled;
}
