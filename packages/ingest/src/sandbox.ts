/**
 * Runs parsing and chunking in child processes with a heap cap and a wall-clock limit,
 * so a hostile document can only take its own process down: one that runs out of memory
 * or time is killed (and replaced by a fresh one on the next request) and the document
 * gets a `ParseLimitError`, while the service's own event loop keeps answering health
 * checks and heartbeating its other jobs. (Worker threads were tried first: a large
 * allocation past a thread's heap limit aborts the whole process, so they do not isolate.)
 *
 * Processes start on first use and are kept idle for the next document (pdf.js and
 * mammoth load once per process, not once per document).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DocumentFormat } from '@lumikb/contracts';
import type { ChunkOptions, LocatedChunk } from './chunk.ts';
import type { ExtractedDocument, Section } from './document.ts';
import { DEFAULT_PARSE_LIMITS, ParseLimitError, type ParseLimits } from './limits.ts';
import {
  fromWireError,
  type ParseRequest,
  type ParseResponse,
  runParseRequest,
  toWireError,
  type WireError,
} from './parse-job.ts';

export interface ParseSandboxOptions {
  limits?: ParseLimits;
  /** Heap (V8 old generation) of one sandbox process. */
  memoryMb?: number;
  /** Wall-clock limit of one request (extracting or chunking one document). */
  timeoutMs?: number;
  /** Idle processes kept for reuse (the worker's concurrency). */
  idleProcesses?: number;
  /** Another build of parse-worker to run (tests of the bundle); default: the one beside this module. */
  workerPath?: string;
  /**
   * Plain text (`txt`) files of at most this many bytes are extracted, and texts of at
   * most this many characters chunked, in this process instead of a sandbox one (0, the
   * default: never). Both are linear in the input, so a small one is bounded in time and
   * memory by its size; the hop to a child process costs more than the work.
   */
  inlineMaxBytes?: number;
}

export const DEFAULT_SANDBOX = { memoryMb: 512, timeoutMs: 120_000, idleProcesses: 2 };

/**
 * From source (tsx, tap) this module is `sandbox.ts` and the child runs `parse-worker.ts`
 * beside it under tsx (not the parent's loaders: tap's would cost seconds and tens of MB
 * per child); in a service bundle this code is inlined in `dist/server.js` and
 * scripts/build.ts emits `dist/parse-worker.js` beside it.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_PATH = fileURLToPath(new URL(FROM_SOURCE ? './parse-worker.ts' : './parse-worker.js', import.meta.url));
/** Resolved on first spawn: services that only import detection never need tsx. */
const loaderArgs = () => (FROM_SOURCE ? [`--import=${import.meta.resolve('tsx')}`] : process.execArgv);

/** A request run here, failing exactly as it would in a sandbox (the same error classes and messages). */
async function inline(request: ParseRequest): Promise<ParseResponse> {
  try {
    return await runParseRequest(request);
  } catch (error) {
    throw fromWireError(toWireError(error));
  }
}

type Reply = { id: number; ok: true; response: ParseResponse } | { id: number; ok: false; error: WireError };

/** Stderr kept per process, to tell a heap exhaustion from any other crash. */
const STDERR_TAIL = 4_096;
/** Start-up (loading the parsers' code) is not the document's fault: it has its own limit. */
const START_TIMEOUT_MS = 30_000;

export class ParseSandbox {
  readonly limits: ParseLimits;
  private readonly memoryMb: number;
  private readonly timeoutMs: number;
  private readonly idleProcesses: number;
  private readonly workerPath: string | undefined;
  private readonly inlineMaxBytes: number;
  private readonly idle: ChildProcess[] = [];
  private readonly busy = new Set<ChildProcess>();
  private readonly stderr = new WeakMap<ChildProcess, string>();
  private readonly ready = new WeakMap<ChildProcess, Promise<void>>();
  private nextId = 1;
  private closed = false;

  constructor(options: ParseSandboxOptions = {}) {
    this.limits = options.limits ?? DEFAULT_PARSE_LIMITS;
    this.memoryMb = options.memoryMb ?? DEFAULT_SANDBOX.memoryMb;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SANDBOX.timeoutMs;
    this.idleProcesses = options.idleProcesses ?? DEFAULT_SANDBOX.idleProcesses;
    this.workerPath = options.workerPath;
    this.inlineMaxBytes = options.inlineMaxBytes ?? 0;
  }

  /** The document's normalised text; throws `ParseError` (or `ParseLimitError`) for a bad document. */
  async extract(bytes: Uint8Array, format: DocumentFormat): Promise<string> {
    return (await this.extractDocument(bytes, format)).text;
  }

  /** The document's text with its structure (sections with locations) and notes on what was skipped. */
  async extractDocument(bytes: Uint8Array, format: DocumentFormat): Promise<ExtractedDocument> {
    const request: ParseRequest = { kind: 'extract', bytes, format, limits: this.limits };
    const response =
      format === 'txt' && bytes.length <= this.inlineMaxBytes ? await inline(request) : await this.run(request);
    if (response.kind !== 'extract') throw new Error('parse sandbox answered the wrong request');
    return response.document;
  }

  /** The text's chunks by size, at most `limits.maxChunks` of them. */
  chunk(text: string, options: Omit<ChunkOptions, 'maxChunks'>): Promise<LocatedChunk[]> {
    return this.chunkDocument({ text, sections: [] }, options);
  }

  /** Chunks that follow the document's sections, each with its location. */
  async chunkDocument(
    doc: { text: string; sections: Section[] },
    options: Omit<ChunkOptions, 'maxChunks'>,
  ): Promise<LocatedChunk[]> {
    const { text, sections } = doc;
    const request: ParseRequest = {
      kind: 'chunk',
      text,
      sections,
      options: { ...options, maxChunks: this.limits.maxChunks },
    };
    const response = text.length <= this.inlineMaxBytes ? await inline(request) : await this.run(request);
    if (response.kind !== 'chunk') throw new Error('parse sandbox answered the wrong request');
    const chunks: LocatedChunk[] = [];
    for (let i = 0; i < response.ranges.length; i += 2) {
      const start = response.ranges[i]!;
      const end = response.ranges[i + 1]!;
      const location = response.locations[i / 2];
      chunks.push({
        index: chunks.length,
        start,
        end,
        text: text.slice(start, end),
        ...(location ? { location } : {}),
      });
    }
    return chunks;
  }

  /** Sandbox processes alive right now (idle or busy). */
  get processes(): number {
    return this.idle.length + this.busy.size;
  }

  /** Process ids of the sandboxes alive right now (for RSS measurements). */
  get pids(): number[] {
    return [...this.idle, ...this.busy].map((c) => c.pid).filter((pid): pid is number => pid !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    for (const child of all) this.hold(child, true);
    await Promise.all(all.map((child) => stop(child)));
  }

  private spawn(): ChildProcess {
    const child = fork(this.workerPath ?? WORKER_PATH, [], {
      execArgv: [...(this.workerPath ? [] : loaderArgs()), `--max-old-space-size=${this.memoryMb}`],
      // Structured clone over the channel: bytes travel as bytes, not as JSON arrays.
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.stderr.set(child, '');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderr.set(child, ((this.stderr.get(child) ?? '') + text).slice(-STDERR_TAIL));
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('the parse sandbox did not start in time')), START_TIMEOUT_MS);
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) {
          void stop(child);
          reject(error);
        } else resolve();
      };
      const onMessage = (message: { ready?: boolean }) => message.ready && done();
      const onExit = (code: number | null) => done(new Error(`the parse sandbox exited at start (code ${code})`));
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
    // Only awaited by a request; a failed start must not be an unhandled rejection meanwhile.
    ready.catch(() => {});
    this.ready.set(child, ready);
    return child;
  }

  /** An idle process must not keep the service alive; a busy one must keep its channel open. */
  private hold(child: ChildProcess, busy: boolean): void {
    const handles = [child, child.channel, child.stderr] as ({ ref(): void; unref(): void } | null | undefined)[];
    for (const handle of handles) busy ? handle?.ref() : handle?.unref();
  }

  private async run(request: ParseRequest): Promise<ParseResponse> {
    if (this.closed) throw new Error('the parse sandbox is closed');
    const child = this.idle.pop() ?? this.spawn();
    this.busy.add(child);
    this.hold(child, true);
    const id = this.nextId++;
    let reusable = false;
    try {
      await this.ready.get(child);
      const startedAt = Date.now();
      return await new Promise<ParseResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          settle();
          reject(new ParseLimitError('time_ms', Date.now() - startedAt, this.timeoutMs, { atLeast: true }));
        }, this.timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('error', onError);
          child.off('exit', onExit);
        };
        const onMessage = (reply: Reply) => {
          if (reply.id !== id) return;
          settle();
          reusable = true;
          if (reply.ok) resolve(reply.response);
          else reject(fromWireError(reply.error));
        };
        const onError = (error: Error) => {
          settle();
          reject(new Error(`the parse sandbox failed: ${error.message}`));
        };
        const onExit = (code: number | null, signal: string | null) => {
          settle();
          // The exit event can come before the last of stderr: give the pipe a moment.
          setImmediate(() => {
            const stderr = this.stderr.get(child) ?? '';
            if (/heap out of memory|Reached heap limit|Invalid (string|array) length/i.test(stderr)) {
              reject(new ParseLimitError('memory_mb', this.memoryMb, this.memoryMb, { atLeast: true }));
            } else {
              const tail = stderr.trim().split('\n').slice(-3).join(' | ');
              reject(
                new Error(
                  `the parse sandbox exited (${signal ?? `code ${code}`}) before answering${tail ? `: ${tail}` : ''}`,
                ),
              );
            }
          });
        };
        child.on('message', onMessage);
        child.on('error', onError);
        child.on('exit', onExit);
        child.send({ id, request });
      });
    } finally {
      this.busy.delete(child);
      if (reusable && !this.closed && this.idle.length < this.idleProcesses) {
        this.hold(child, false);
        this.idle.push(child);
      }
      // A process that ran out of time may still be busy; one that failed is not trusted again.
      else void stop(child);
    }
  }
}

/** Ends a sandbox process (SIGKILL: a runaway parse does not get to clean up). */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
