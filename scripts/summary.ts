/** Prints each suite's counts and, last, the total line CI reads. */
import { readFileSync } from 'node:fs';
import { summaryLine, sumResults } from './lib/results.ts';

const file = process.argv[2] ?? '.ci/results.jsonl';
for (const line of readFileSync(file, 'utf8').trim().split('\n')) if (line) process.stdout.write(`  ${line}\n`);
process.stdout.write(`${summaryLine(sumResults(file))}\n`);
