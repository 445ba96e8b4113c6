/**
 * Checks the names in a PromQL expression against the metrics catalogue: every series
 * selected must be a metric we export, every label matched or grouped by must be one
 * that series carries. Syntax is promtool's job; this catches the mistakes promtool
 * cannot see (a misspelt metric parses fine and charts nothing).
 */
import { lookupSeries } from './metrics-catalogue.ts';

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string };

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      tokens.push({ kind: 'string', text: expr.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?((ms|[smhdwy])[0-9]*)*)/.exec(expr.slice(i));
      const text = m?.[0] || c;
      tokens.push({ kind: 'number', text });
      i += text.length;
    } else if (/[A-Za-z_:]/.test(c)) {
      const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else {
      const two = expr.slice(i, i + 2);
      const text = ['==', '!=', '=~', '!~', '>=', '<='].includes(two) ? two : c;
      tokens.push({ kind: 'punct', text });
      i += text.length;
    }
  }
  return tokens;
}

export interface NameProblem {
  message: string;
}

/** Returns the problems found in `expr`; an empty list means every name is known. */
export function checkNames(expr: string): NameProblem[] {
  const tokens = tokenize(expr);
  const problems: NameProblem[] = [];
  const seriesLabels: Set<string>[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const at = (k: number) => tokens[k];

  const readLabelList = (start: number): number => {
    // tokens[start] is '('; collect identifiers up to ')'.
    let k = start + 1;
    while (k < tokens.length && at(k)!.text !== ')') {
      const t = at(k)!;
      if (t.kind === 'ident') groupingLabels.push(t.text);
      k++;
    }
    return k + 1;
  };

  const readMatchers = (start: number, labels: Set<string> | undefined, metric: string): number => {
    // tokens[start] is '{'; label names are the identifiers before an operator.
    let k = start + 1;
    while (k < tokens.length && at(k)!.text !== '}') {
      const t = at(k)!;
      const next = at(k + 1);
      if (t.kind === 'ident' && next && ['=', '!=', '=~', '!~'].includes(next.text)) {
        if (labels && !labels.has(t.text)) {
          problems.push({ message: `label "${t.text}" is not a label of ${metric}` });
        }
      }
      k++;
    }
    return k + 1;
  };

  while (i < tokens.length) {
    const t = at(i)!;
    const next = at(i + 1);
    if (t.kind === 'punct' && t.text === '[') {
      // Range or subquery: durations and steps only.
      while (i < tokens.length && at(i)!.text !== ']') i++;
      i++;
      continue;
    }
    if (t.kind !== 'ident') {
      if (t.text === '{') {
        // A selector with no metric name: its matchers are checked against nothing.
        i = readMatchers(i, undefined, 'a nameless selector');
        continue;
      }
      i++;
      continue;
    }
    if (GROUPING.has(t.text)) {
      i = next?.text === '(' ? readLabelList(i + 1) : i + 1;
      continue;
    }
    if (KEYWORDS.has(t.text.toLowerCase())) {
      i++;
      continue;
    }
    if (next?.text === '(' || (next && (next.text === 'by' || next.text === 'without'))) {
      // A function, or an aggregation (`sum by (x) (...)` puts the grouping first).
      i++;
      continue;
    }
    const series = lookupSeries(t.text);
    if (!series)
      problems.push({ message: `"${t.text}" is not a metric LumiKB exports (tools/ci/src/metrics-catalogue.ts)` });
    else seriesLabels.push(series.labels);
    i = next?.text === '{' ? readMatchers(i + 1, series?.labels, t.text) : i + 1;
  }

  if (seriesLabels.length > 0) {
    const known = new Set(seriesLabels.flatMap((s) => [...s]));
    for (const label of groupingLabels) {
      if (!known.has(label))
        problems.push({ message: `grouping label "${label}" is carried by none of the series used` });
    }
  }
  return problems;
}
