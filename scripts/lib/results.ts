/**
 * Every suite `.ci/run` runs appends its counts here; the last line of the run is the
 * sum (`N passed, N failed, N skipped`), which is what CI reads.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface SuiteResult {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
}

export function recordResult(result: SuiteResult): void {
  const file = process.env.LUMIKB_RESULTS_FILE;
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
}

export function sumResults(file: string): SuiteResult {
  const total: SuiteResult = { suite: 'all', passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(file)) return total;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as SuiteResult;
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
  }
  return total;
}

export function summaryLine(r: Omit<SuiteResult, 'suite'>): string {
  return `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
}
