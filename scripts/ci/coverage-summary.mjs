// Turns the coverage-summary.json files of the test jobs (one folder each, as
// actions/download-artifact lays them out) into the Markdown of the PR comment.
//   node scripts/ci/coverage-summary.mjs <dir>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'coverage';
const rows = [];
for (const entry of existsSync(dir) ? readdirSync(dir).sort() : []) {
  const file = join(dir, entry, 'coverage-summary.json');
  if (!existsSync(file)) continue;
  const total = JSON.parse(readFileSync(file, 'utf8')).total;
  const cell = (m) => `${m.pct}% (${m.covered}/${m.total})`;
  rows.push(
    `| ${entry.replace(/^coverage-/, '')} | ${cell(total.lines)} | ${cell(total.statements)} | ${cell(total.branches)} | ${cell(total.functions)} |`,
  );
}
const lines = ['### Coverage', ''];
if (rows.length === 0) {
  lines.push('No coverage report was produced (did the test jobs fail before running?).');
} else {
  lines.push('| suite | lines | statements | branches | functions |', '|---|---|---|---|---|', ...rows);
}
process.stdout.write(`${lines.join('\n')}\n`);
