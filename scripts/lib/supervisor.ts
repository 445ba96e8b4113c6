/**
 * Runs each service as its own process with prefixed, readable logs; restarts one that
 * crashes (with backoff); stops them all together.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const COLORS = [36, 35, 33, 32, 34, 91];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** A pino JSON line as one short human line; anything else unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const level = LEVELS[entry.level as number] ?? String(entry.level);
    const req = entry.req as { method?: string; url?: string } | undefined;
    const res = entry.res as { statusCode?: number } | undefined;
    const extra = [
      req ? `${req.method} ${req.url}` : '',
      res?.statusCode ? String(res.statusCode) : '',
      typeof entry.responseTime === 'number' ? `${entry.responseTime.toFixed(1)}ms` : '',
      entry.err ? `— ${(entry.err as { message?: string }).message}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `${level} ${entry.msg ?? ''}${extra ? ` ${extra}` : ''}`;
  } catch {
    return line;
  }
}

export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;
  private readonly pad: number;
  /** Exits per service since start, so a caller waiting for readiness can give up early. */
  readonly exits = new Map<string, number>();

  constructor(
    private readonly specs: ProcessSpec[],
    private readonly options: { command: (spec: ProcessSpec) => [string, string[]]; raw?: boolean },
  ) {
    this.pad = Math.max(...specs.map((s) => s.name.length));
  }

  start(): void {
    for (const [i, spec] of this.specs.entries()) this.launch(spec, COLORS[i % COLORS.length]!, 0);
  }

  private launch(spec: ProcessSpec, color: number, restarts: number): void {
    const [cmd, args] = this.options.command(spec);
    const child = spawn(cmd, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(spec.name, child);
    const startedAt = Date.now();
    const tag = `\u001b[${color}m[${spec.name.padEnd(this.pad)}]\u001b[0m`;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        process.stdout.write(`${tag} ${this.options.raw ? line : formatLogLine(line)}\n`);
      });
    }
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      this.exits.set(spec.name, (this.exits.get(spec.name) ?? 0) + 1);
      // A service that ran a while before crashing starts again at once; one that
      // keeps crashing at start-up waits longer each time (up to 30 s).
      const ranLong = Date.now() - startedAt > 60_000;
      const attempt = ranLong ? 0 : restarts + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
      process.stdout.write(
        `${tag} exited (${signal ?? `code ${code}`}); restarting in ${Math.round(delay / 1000)} s\n`,
      );
      setTimeout(() => {
        if (!this.stopping) this.launch(spec, color, attempt);
      }, delay).unref();
    });
  }

  /** SIGTERM to every service, SIGKILL to those still running after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const running = [...this.children.values()];
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

/**
 * tsx on the sources. (The esbuild bundles in dist/ are for images: they resolve their
 * third-party imports from the flat node_modules `pnpm deploy` lays out there.)
 */
export function serviceCommand(root: string) {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  return (_spec: ProcessSpec): [string, string[]] => [tsx, ['src/server.ts']];
}
