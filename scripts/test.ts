/**
 * `pnpm test`: lint, typecheck, then every package's and service's tap tests (against
 * real Postgres and NATS, see README "How tests find Postgres and NATS"). Ends with one
 * summary line. Extra arguments are passed to tap (e.g. a single test file).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { recordResult, type SuiteResult, summaryLine } from './lib/results.ts';
import { ROOT } from './lib/stack.ts';

function run(command: string, args: string[], echo = true): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const bin = (name: string) => `${ROOT}/node_modules/.bin/${name}`;
const tapArgs = process.argv.slice(2);
const results: SuiteResult[] = [];

async function check(suite: string, command: string, args: string[]) {
  process.stdout.write(`\n── ${suite}: ${[command.split('/').pop(), ...args].join(' ')}\n`);
  const { code } = await run(command, args);
  results.push({ suite, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 });
  process.stdout.write(`── ${suite}: ${code === 0 ? 'ok' : 'FAILED'}\n`);
}

if (tapArgs.length === 0) {
  await check('lint', bin('biome'), ['check', '.', '--error-on-warnings']);
  await check('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  // The web app and the browser suite have their own tsconfig (DOM types, JSX).
  if (existsSync(`${ROOT}/web/tsconfig.json`))
    await check('typecheck web', 'pnpm', ['--filter', '@lumikb/web', 'typecheck']);
  if (existsSync(`${ROOT}/e2e/tsconfig.json`))
    await check('typecheck e2e', 'pnpm', ['--filter', '@lumikb/e2e', 'typecheck']);
}

process.stdout.write('\n── tests: tap\n');
const tap = await run(bin('tap'), tapArgs);
const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(tap.output);
const passed = Number(summary?.[2] ?? 0);
const failedTests = Number(summary?.[3] ?? 0);
// tap can fail without failing an assertion (a file that crashed or timed out).
const failed = failedTests || (tap.code !== 0 ? 1 : 0);
results.push({ suite: 'tap', passed, failed, skipped: Number(summary?.[4] ?? 0) });

for (const r of results) recordResult(r);
const total = results.reduce(
  (a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
process.stdout.write(`\n${results.map((r) => `${r.suite}: ${summaryLine(r)}`).join('\n')}\n`);
process.stdout.write(`${summaryLine(total)}\n`);
process.exit(total.failed > 0 ? 1 : 0);
