/**
 * Validates Grafana dashboards: every query (panel targets, nested row panels and
 * template variable queries) must be valid PromQL according to promtool, and must
 * only use metrics and labels LumiKB exports. Also checks the dashboard structure
 * Grafana's file provisioning relies on (unique uid, title, data source variable).
 *
 *   tsx tools/ci/src/check-dashboards.ts deploy/grafana/dashboards [more dirs or files]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkNames } from './promql-names.ts';
import { checkSyntax, type Expression } from './promtool.ts';
import { type Problem, report } from './report.ts';

/** Grafana's built-in variables and our dashboards' own, replaced by values promtool accepts. */
const INTERVALS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
  __range_s: '3600',
  __interval_ms: '60000',
  __range_ms: '3600000',
};

export function substituteVariables(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_all, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    return INTERVALS[name] ?? 'placeholder';
  });
}

/** Panels name their data source through the dashboard's variable, never a fixed uid. */
const DATASOURCE_VARIABLE = '$' + '{datasource}';

interface Panel {
  id?: number;
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: { refId?: string; expr?: string; datasource?: unknown }[];
  panels?: Panel[];
}

interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: string }[] };
}

export function checkDashboards(paths: string[]): Problem[] {
  const files = paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  const problems: Problem[] = [];
  if (files.length === 0) return [{ where: paths.join(' '), message: 'no dashboard JSON found' }];
  const expressions: Expression[] = [];
  const uids = new Map<string, string>();

  for (const file of files) {
    const name = basename(file);
    let dashboard: Dashboard;
    try {
      dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
    } catch (error) {
      problems.push({ where: file, message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    if (!dashboard.uid)
      problems.push({ where: file, message: 'dashboard has no uid (provisioning needs a stable one)' });
    else if (uids.has(dashboard.uid)) {
      problems.push({ where: file, message: `uid "${dashboard.uid}" is also used by ${uids.get(dashboard.uid)}` });
    } else uids.set(dashboard.uid, file);
    if (!dashboard.title) problems.push({ where: file, message: 'dashboard has no title' });

    const variables = dashboard.templating?.list ?? [];
    if (!variables.some((v) => v.type === 'datasource' && v.name === 'datasource')) {
      problems.push({ where: file, message: 'no "datasource" variable: panels must not hard-code a data source uid' });
    }
    for (const variable of variables) {
      if (variable.type !== 'query') continue;
      const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string })?.query;
      if (!query) {
        problems.push({ where: `${name} › variable ${variable.name}`, message: 'query variable without a query' });
        continue;
      }
      // label_values(<selector>, label) → check the selector; label_values(label) has none.
      const m = /^\s*label_values\((.*),\s*(\w+)\s*\)\s*$/s.exec(query);
      const expr = m ? m[1]! : /^\s*query_result\((.*)\)\s*$/s.exec(query)?.[1];
      if (expr) expressions.push({ where: `${name} › variable ${variable.name}`, expr: substituteVariables(expr) });
      else if (!/^\s*label_values\(\s*\w+\s*\)\s*$/.test(query) && !/^\s*label_names\(/.test(query)) {
        problems.push({
          where: `${name} › variable ${variable.name}`,
          message: `unrecognised variable query: ${query}`,
        });
      }
    }

    const visit = (panel: Panel) => {
      const where = `${name} › panel ${panel.id ?? '?'} "${panel.title ?? ''}"`;
      if (panel.type === 'row') {
        for (const child of panel.panels ?? []) visit(child);
        return;
      }
      if (!panel.title) problems.push({ where, message: 'panel has no title' });
      const ds = panel.datasource;
      const uid = typeof ds === 'string' ? ds : ds?.uid;
      if (uid !== DATASOURCE_VARIABLE) {
        problems.push({
          where,
          message: `panel data source must be the \${datasource} variable (got ${JSON.stringify(ds)})`,
        });
      }
      const targets = panel.targets ?? [];
      if (targets.length === 0 && panel.type !== 'text') problems.push({ where, message: 'panel has no query' });
      for (const target of targets) {
        const at = `${where} › ${target.refId ?? '?'}`;
        if (!target.expr?.trim()) {
          problems.push({ where: at, message: 'target has no expr' });
          continue;
        }
        expressions.push({ where: at, expr: substituteVariables(target.expr) });
      }
    };
    for (const panel of dashboard.panels ?? []) visit(panel);
  }

  problems.push(...checkSyntax(expressions));
  for (const e of expressions) {
    for (const p of checkNames(e.expr)) problems.push({ where: e.where, message: p.message });
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    process.stderr.write('usage: check-dashboards.ts <dir-or-file>...\n');
    process.exit(2);
  }
  process.exit(report('dashboards', checkDashboards(paths)));
}
