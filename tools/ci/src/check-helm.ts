/**
 * Validates the Helm chart without Helm (which cannot be installed here; the GitHub
 * workflow adds `helm lint`, `helm template` and kubeconform):
 *   - Chart.yaml has the fields Helm requires;
 *   - values.yaml, and each examples/*.yaml merged over it the way Helm merges -f
 *     files, validate against values.schema.json; every schema property is described;
 *   - every `.Values.a.b` a template reads exists in values.yaml (a typo renders
 *     nothing in Helm, silently);
 *   - template actions are balanced ({{ }} pairs, if/range/with/define … end) and
 *     every included template is defined;
 *   - the chart's copies of the alert rules and dashboards equal the originals.
 *
 *   tsx tools/ci/src/check-helm.ts deploy/helm/lumikb [extra-values.yaml ...]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { type Problem, report } from './report.ts';

type Values = Record<string, unknown>;
const REPO = resolve(new URL('.', import.meta.url).pathname, '../../..');

function isObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing of a -f file over the defaults: maps merge, everything else replaces. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? mergeValues(b, v) : v;
  }
  return out;
}

function undescribed(schema: unknown, path: string, found: string[]): void {
  if (!isObject(schema)) return;
  const props = schema.properties;
  if (isObject(props)) {
    for (const [k, v] of Object.entries(props)) {
      if (isObject(v) && !v.description && !v.$ref) found.push(`${path}${k}`);
      undescribed(v, `${path}${k}.`, found);
    }
  }
  if (isObject(schema.definitions)) {
    for (const [k, v] of Object.entries(schema.definitions)) undescribed(v, `#/definitions/${k}.`, found);
  }
}

export function checkTemplates(templatesDir: string, defaults: Values): Problem[] {
  const problems: Problem[] = [];
  const files = readdirSync(templatesDir).filter((f) => /\.(ya?ml|tpl|txt)$/.test(f));
  const defined = new Set<string>();
  const included: { file: string; name: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(templatesDir, file), 'utf8');
    const where = `${templatesDir}/${file}`;
    const opens = text.split('{{').length - 1;
    const closes = text.split('}}').length - 1;
    if (opens !== closes)
      problems.push({ where, message: `unbalanced template delimiters: ${opens} "{{" and ${closes} "}}"` });

    // Block structure: strip comments, then count openers against `end`.
    const actions = [
      ...text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '').matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g),
    ].map((m) => m[1]!);
    let depth = 0;
    for (const action of actions) {
      const word = /^(\w+)/.exec(action)?.[1];
      if (word && ['if', 'range', 'with', 'define', 'block'].includes(word)) depth++;
      else if (word === 'end') depth--;
      if (depth < 0) {
        problems.push({ where, message: 'an {{ end }} closes no block' });
        depth = 0;
      }
      const def = /^define\s+"([^"]+)"/.exec(action);
      if (def) defined.add(def[1]!);
      for (const inc of action.matchAll(/\b(?:include|template)\s+"([^"]+)"/g))
        included.push({ file: where, name: inc[1]! });
    }
    if (depth > 0) problems.push({ where, message: `${depth} block(s) not closed with {{ end }}` });

    for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      const path = m[1]!.slice(1).split('.');
      let node: unknown = defaults;
      for (let i = 0; i < path.length; i++) {
        if (!isObject(node)) break; // a leaf: the rest is a method or field of it
        if (!(path[i]! in node)) {
          // A free-form map (empty by default) may hold any key.
          if (Object.keys(node).length > 0 || i === 0) {
            problems.push({ where, message: `.Values.${path.join('.')} is not in values.yaml` });
          }
          break;
        }
        node = node[path[i]!];
      }
    }
  }
  for (const { file, name } of included) {
    if (!defined.has(name)) problems.push({ where: file, message: `includes undefined template "${name}"` });
  }
  return problems;
}

export function checkChart(chartDir: string, extraValues: string[] = []): Problem[] {
  const problems: Problem[] = [];
  const chartFile = join(chartDir, 'Chart.yaml');
  const chart = parse(readFileSync(chartFile, 'utf8')) as Values;
  for (const key of ['apiVersion', 'name', 'version']) {
    if (!chart[key]) problems.push({ where: chartFile, message: `missing ${key}` });
  }
  if (chart.apiVersion !== 'v2') problems.push({ where: chartFile, message: 'apiVersion must be v2 (Helm 3)' });
  if (typeof chart.version === 'string' && !/^\d+\.\d+\.\d+(-[\w.]+)?(\+[\w.]+)?$/.test(chart.version)) {
    problems.push({ where: chartFile, message: `version ${chart.version} is not SemVer` });
  }

  const schemaFile = join(chartDir, 'values.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Values;
  const missing: string[] = [];
  undescribed(schema, '', missing);
  for (const m of missing) problems.push({ where: schemaFile, message: `property ${m} has no description` });
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);

  const defaultsFile = join(chartDir, 'values.yaml');
  const defaults = (parse(readFileSync(defaultsFile, 'utf8')) ?? {}) as Values;
  const examplesDir = join(chartDir, 'examples');
  const examples = existsSync(examplesDir)
    ? readdirSync(examplesDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(examplesDir, f))
    : [];
  const sets: [string, Values][] = [[defaultsFile, defaults]];
  for (const file of [...examples, ...extraValues]) {
    try {
      sets.push([file, mergeValues(defaults, (parse(readFileSync(file, 'utf8')) ?? {}) as Values)]);
    } catch (error) {
      problems.push({ where: file, message: `not valid YAML: ${(error as Error).message.split('\n')[0]}` });
    }
  }
  for (const [file, values] of sets) {
    if (!validate(values)) {
      for (const e of validate.errors ?? []) {
        const extra =
          e.keyword === 'additionalProperties'
            ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
            : '';
        problems.push({ where: file, message: `values${e.instancePath.replaceAll('/', '.')} ${e.message}${extra}` });
      }
    }
  }

  problems.push(...checkTemplates(join(chartDir, 'templates'), defaults));

  // The chart packages copies of files that live elsewhere in the repository.
  const copies: [string, string][] = [
    [join(chartDir, 'files/lumikb-alerts.yml'), join(REPO, 'deploy/prometheus/rules/lumikb-alerts.yml')],
  ];
  const dashboards = join(REPO, 'deploy/grafana/dashboards');
  if (existsSync(dashboards)) {
    for (const f of readdirSync(dashboards).filter((n) => n.endsWith('.json'))) {
      copies.push([join(chartDir, 'files/dashboards', f), join(dashboards, f)]);
    }
    const chartDashboards = join(chartDir, 'files/dashboards');
    if (existsSync(chartDashboards)) {
      for (const f of readdirSync(chartDashboards)) {
        if (!existsSync(join(dashboards, f)))
          problems.push({ where: join(chartDashboards, f), message: 'no longer in deploy/grafana/dashboards' });
      }
    }
  }
  for (const [copy, original] of copies) {
    if (!existsSync(copy) || readFileSync(copy, 'utf8') !== readFileSync(original, 'utf8')) {
      problems.push({
        where: copy,
        message: `differs from ${original.slice(REPO.length + 1)}: cp ${original.slice(REPO.length + 1)} ${copy}`,
      });
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [chartDir, ...extra] = process.argv.slice(2);
  if (!chartDir) {
    process.stderr.write('usage: check-helm.ts <chart-dir> [extra-values.yaml ...]\n');
    process.exit(2);
  }
  process.exit(report(`helm chart ${basename(chartDir)}`, checkChart(chartDir, extra)));
}
