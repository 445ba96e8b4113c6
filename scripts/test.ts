/**
 * `pnpm test`: every package's and service's tap tests (against real Postgres and NATS,
 * see README "How tests find Postgres and NATS") and, beside them at low CPU priority,
 * lint and the typechecks (two at a time: each is one single-threaded process), then the
 * browser suite. Prints each stage's time and ends with one summary line. Extra arguments
 * are passed to tap (e.g. a single test file); then only tap runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { restoreCoverageSources } from './lib/coverage.ts';
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

/** True while tap is still built with its ts-node plugin, which .taprc switches off. */
function tapPluginsStale(): boolean {
  try {
    // @tapjs/test's generated Test class lists the plugins tap is built with.
    const tap = realpathSync(`${ROOT}/node_modules/tap`);
    const built = readFileSync(join(tap, '..', '@tapjs', 'test', 'test-built', 'dist', 'esm', 'index.js'), 'utf8');
    return built.includes('@tapjs/typescript') && readFileSync(`${ROOT}/.taprc`, 'utf8').includes('!@tapjs/typescript');
  } catch {
    return false; // a layout we do not know: leave it to tap
  }
}
const tapArgs = process.argv.slice(2);
const results: SuiteResult[] = [];

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Busy and total CPU time of the whole machine so far (Linux; zeros elsewhere). */
function cpuTicks(): { busy: number; total: number } {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    return { busy, total: busy + idle! + iowait! };
  } catch {
    return { busy: 0, total: 0 };
  }
}
/** How busy the machine's CPUs were since `from` (every process, not only ours), and the load. */
function busySince(from: { busy: number; total: number }): string {
  const now = cpuTicks();
  const total = now.total - from.total;
  const load = (() => {
    try {
      return readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    } catch {
      return '?';
    }
  })();
  return total > 0 ? `${Math.round(((now.busy - from.busy) * 100) / total)} % CPU busy, load average ${load}` : '';
}

/**
 * Runs the checks two at a time; each one's output is printed whole when it ends. They run
 * beside tap under `nice` (when there is one): tap's files wait on PostgreSQL, NATS and the
 * services they start, and the checks take the CPU they leave idle instead of running first
 * (≈ 65 s of wall time on two cores) — and on a busy machine they yield to tap, whose files
 * have a timeout.
 */
async function checks(list: [suite: string, command: string, args: string[]][]): Promise<void> {
  const queue = [...list];
  const niced = existsSync('/usr/bin/nice') || existsSync('/bin/nice');
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [suite, command, args] = next;
      const started = performance.now();
      const { code, output } = niced
        ? await run('nice', ['-n', '10', command, ...args], false)
        : await run(command, args, false);
      process.stdout.write(`\n── ${suite}: ${[command.split('/').pop(), ...args].join(' ')}\n${output}`);
      results.push({ suite, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 });
      process.stdout.write(`── ${suite}: ${code === 0 ? 'ok' : 'FAILED'} (${seconds(started)})\n`);
    }
  };
  await Promise.all([worker(), worker()]);
}

let checksDone: Promise<void> = Promise.resolve();
if (tapArgs.length === 0) {
  checksDone = checks([
    // The biggest first, so the two lanes end close together.
    ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    ['lint', bin('biome'), ['check', '.', '--error-on-warnings']],
    // The web app and the browser suite have their own tsconfig (DOM types, JSX).
    ...(existsSync(`${ROOT}/web/tsconfig.json`)
      ? [['typecheck web', 'pnpm', ['--filter', '@lumikb/web', 'typecheck']] as [string, string, string[]]]
      : []),
    ...(existsSync(`${ROOT}/e2e/tsconfig.json`)
      ? [['typecheck e2e', 'pnpm', ['--filter', '@lumikb/e2e', 'typecheck']] as [string, string, string[]]]
      : []),
  ]);
}

process.stdout.write(`\n── tests: tap${tapArgs.length === 0 ? ' (lint and typechecks beside it)' : ''}\n`);
const tapStarted = performance.now();
const tapCpu = cpuTicks();
if (tapPluginsStale()) {
  // tap notices that .taprc's plugin list differs from the one it is built with and
  // rebuilds, but the run that rebuilds still starts every test process with the old
  // list's loaders: on a fresh clone that loaded ts-node (~1 s of CPU) into each of the
  // ~90 test processes, beside tsx. Rebuilding first gives the run the configured set.
  process.stdout.write('tap: rebuilding its plugin set for .taprc (once per install) …\n');
  await run(bin('tap'), ['build']);
}
const tap = await run(bin('tap'), tapArgs);
process.stdout.write(`── tap: ${seconds(tapStarted)} (${busySince(tapCpu)})\n`);
const waitStarted = performance.now();
await checksDone;
if (tapArgs.length === 0) process.stdout.write(`── lint and typechecks: done ${seconds(waitStarted)} after tap\n`);
const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?/.exec(tap.output);
const passed = Number(summary?.[2] ?? 0);
const failedTests = Number(summary?.[3] ?? 0);
// tap can fail without failing an assertion (a file that crashed or timed out).
const failed = failedTests || (tap.code !== 0 ? 1 : 0);
results.push({ suite: 'tap', passed, failed, skipped: Number(summary?.[4] ?? 0) });

if (tapArgs.length === 0) {
  // The thresholds (statements, branches, functions, lines) are in .taprc; tap checks them
  // here, over the whole run, and not in a run of a few files (allow-incomplete-coverage).
  const started = performance.now();
  restoreCoverageSources(join(ROOT, '.tap', 'coverage'));
  const report = await run(bin('tap'), ['report', 'text-summary', 'json-summary', '--no-allow-incomplete-coverage']);
  const ok = report.code === 0;
  results.push({ suite: 'coverage', passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 });
  process.stdout.write(
    `── coverage: ${ok ? 'ok' : 'FAILED: under a threshold of .taprc'} (${seconds(started)}; .tap/report/coverage-summary.json)\n`,
  );
}

// The browser suite (e2e/, Playwright on Debian's Chromium), after tap: both load the whole
// machine. `.ci/run` runs it as a stage of its own (LUMIKB_TEST_SKIP_E2E=1 here), after the
// service bundles it built beside tap.
if (tapArgs.length === 0 && process.env.LUMIKB_TEST_SKIP_E2E !== '1' && existsSync(`${ROOT}/e2e/package.json`)) {
  results.push(await browserSuite());
}

async function browserSuite(): Promise<SuiteResult> {
  const chromium = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    process.stdout.write(
      `\n── e2e: skipped: no Chromium at ${chromium} (apt-get install chromium; never a downloaded browser)\n`,
    );
    return { suite: 'e2e', passed: 0, failed: 0, skipped: 1 };
  }
  process.stdout.write('\n── e2e: the browser suite (pnpm test:e2e)\n');
  const started = performance.now();
  const { code, output } = await run('pnpm', ['test:e2e']);
  // Playwright's closing lines: "  37 passed (2.8m)", "  1 failed", "  1 skipped", "  1 flaky".
  const count = (word: string) => Number([...output.matchAll(new RegExp(`^ +(\\d+) ${word}`, 'gm'))].at(-1)?.[1] ?? 0);
  const failed = count('failed') || (code !== 0 ? 1 : 0);
  process.stdout.write(`── e2e: ${code === 0 ? 'ok' : 'FAILED'} (${seconds(started)})\n`);
  return { suite: 'e2e', passed: count('passed') + count('flaky'), failed, skipped: count('skipped') };
}

for (const r of results) recordResult(r);
const total = results.reduce(
  (a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
process.stdout.write(`\n${results.map((r) => `${r.suite}: ${summaryLine(r)}`).join('\n')}\n`);
process.stdout.write(`${summaryLine(total)}\n`);
process.exit(total.failed > 0 ? 1 : 0);
