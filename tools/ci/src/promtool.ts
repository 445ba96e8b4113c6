/**
 * Runs PromQL expressions through `promtool check rules` by writing each one as a
 * recording rule in its own group of a temporary rules file, then maps promtool's
 * complaints back to where each expression came from.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Expression {
  /** Where the expression comes from, for the report: "api-performance.json › panel 3 ›  A". */
  where: string;
  expr: string;
}

export interface SyntaxProblem {
  where: string;
  message: string;
}

export function checkSyntax(expressions: Expression[]): SyntaxProblem[] {
  if (expressions.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'lumikb-promql-'));
  try {
    const file = join(dir, 'expressions.rules.yml');
    const groups = expressions.map(
      (e, index) =>
        `  - name: "e${index}"\n    rules:\n      - record: lumikb_check:e${index}\n        expr: ${JSON.stringify(e.expr)}\n`,
    );
    writeFileSync(file, `groups:\n${groups.join('')}`);
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (run.error) return [{ where: 'promtool', message: `cannot run promtool: ${run.error.message}` }];
    if (run.status === 0) return [];
    const output = `${run.stdout}\n${run.stderr}`;
    const problems: SyntaxProblem[] = [];
    for (const line of output.split('\n')) {
      const m = /group "e(\d+)", rule \d+, "lumikb_check:e\d+": (.*)$/.exec(line);
      if (m) problems.push({ where: expressions[Number(m[1])]!.where, message: m[2]! });
    }
    if (problems.length === 0) problems.push({ where: 'promtool', message: output.trim() });
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
