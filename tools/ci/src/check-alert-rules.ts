/**
 * Checks what `promtool check rules` / `test rules` cannot: every alerting rule only
 * uses metrics and labels LumiKB exports, carries a severity, a summary, a description
 * and a runbook link into docs/operations.md that exists, and the unit tests have, for
 * every alert, at least one case where it fires and one where it must not.
 *
 *   tsx tools/ci/src/check-alert-rules.ts <rules.yml> <tests.yml> [docs/operations.md]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkNames } from './promql-names.ts';
import { type Problem, report } from './report.ts';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}
interface TestFile {
  tests?: { name?: string; alert_rule_test?: AlertTest[] }[];
}

/** GitHub-style anchor of a Markdown heading. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function checkAlertRules(rulesFile: string, testsFile: string, runbookFile?: string): Problem[] {
  const problems: Problem[] = [];
  const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups?: { name: string; rules: Rule[] }[] }).groups ?? [];
  const tests = (parse(readFileSync(testsFile, 'utf8')) as TestFile).tests ?? [];
  const anchors = new Set<string>();
  if (runbookFile && !existsSync(runbookFile)) {
    return [{ where: runbookFile, message: 'runbook not found (alerts link into it)' }];
  }
  if (runbookFile) {
    for (const line of readFileSync(runbookFile, 'utf8').split('\n')) {
      const m = /^#{1,6}\s+(.*)$/.exec(line);
      if (m) anchors.add(anchorOf(m[1]!));
    }
  }

  const fires = new Map<string, number>();
  const silent = new Map<string, number>();
  for (const test of tests) {
    for (const t of test.alert_rule_test ?? []) {
      const into = (t.exp_alerts?.length ?? 0) > 0 ? fires : silent;
      into.set(t.alertname, (into.get(t.alertname) ?? 0) + 1);
    }
  }

  const alertNames = new Set<string>();
  for (const group of rules) {
    for (const rule of group.rules ?? []) {
      const name = rule.alert ?? rule.record ?? '?';
      const where = `${rulesFile} › ${group.name} › ${name}`;
      for (const p of checkNames(rule.expr)) problems.push({ where, message: p.message });
      if (!rule.alert) continue;
      alertNames.add(rule.alert);
      const severity = rule.labels?.severity;
      if (!severity || !['critical', 'warning', 'info'].includes(severity)) {
        problems.push({ where, message: 'severity label must be critical, warning or info' });
      }
      for (const key of ['summary', 'description', 'runbook']) {
        if (!rule.annotations?.[key]) problems.push({ where, message: `missing annotation "${key}"` });
      }
      const runbook = rule.annotations?.runbook ?? '';
      const anchor = /#(.+)$/.exec(runbook)?.[1];
      if (runbookFile && anchor && !anchors.has(anchor)) {
        problems.push({ where, message: `runbook anchor #${anchor} is not a heading in ${runbookFile}` });
      }
      if (!fires.get(rule.alert)) problems.push({ where, message: 'no unit test where this alert fires' });
      if (!silent.get(rule.alert)) problems.push({ where, message: 'no unit test where this alert must not fire' });
    }
  }
  for (const name of new Set([...fires.keys(), ...silent.keys()])) {
    if (!alertNames.has(name))
      problems.push({ where: testsFile, message: `tests name an alert that does not exist: ${name}` });
  }
  if (alertNames.size === 0) problems.push({ where: rulesFile, message: 'no alerting rules found' });
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [rules, tests, runbook] = process.argv.slice(2);
  if (!rules || !tests) {
    process.stderr.write('usage: check-alert-rules.ts <rules.yml> <tests.yml> [runbook.md]\n');
    process.exit(2);
  }
  process.exit(report('alert rules', checkAlertRules(rules, tests, runbook)));
}
