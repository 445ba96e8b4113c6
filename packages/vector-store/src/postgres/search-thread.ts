/** The main-thread side of the search worker: request/response over postMessage. */
import { Worker } from 'node:worker_threads';
import { VectorStoreError } from '../errors.ts';
import { SCORE_WASM_BASE64 } from './score-wasm.ts';
import type { PutMessage, SearchMessage, WorkerInit, WorkerReply } from './search-kernel.ts';
import { SEARCH_WORKER_BASE64 } from './search-worker-source.ts';

const WORKER_SOURCE = Buffer.from(SEARCH_WORKER_BASE64, 'base64').toString('utf8');

export type SearchResult = { ids: string[]; scores: number[] } | { missing: true };

const SCORE_WASM = Buffer.from(SCORE_WASM_BASE64, 'base64');

export type SearchKernel = 'wasm' | 'js';

export class SearchThread {
  constructor(private readonly kernel: SearchKernel = 'wasm') {}

  private worker: Worker | undefined;
  private infoWaiters: { resolve: (kernel: SearchKernel) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: SearchResult) => void; reject: (e: Error) => void }>();
  /** Bumped whenever a worker is (re)started: everything the previous one held is gone. */
  generation = 0;
  private closed = false;

  private get thread(): Worker {
    if (this.closed) throw new VectorStoreError('UNAVAILABLE', 'vector store is closed');
    if (this.worker) return this.worker;
    const workerData: WorkerInit = this.kernel === 'wasm' ? { wasm: new Uint8Array(SCORE_WASM) } : {};
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'lumikb-vector-search', workerData });
    this.generation++;
    worker.unref();
    worker.on('message', (reply: WorkerReply | { op: 'info'; wasm: boolean }) => {
      if ('op' in reply) {
        for (const waiter of this.infoWaiters.splice(0)) waiter.resolve(reply.wasm ? 'wasm' : 'js');
        if (this.pending.size === 0) worker.unref();
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiter.resolve({ ids: reply.ids, scores: reply.scores });
      else if (reply.missing) waiter.resolve({ missing: true });
      else waiter.reject(new VectorStoreError('INVALID_INPUT', reply.error));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const failure = new VectorStoreError('UNAVAILABLE', `search worker failed: ${error.message}`, undefined, {
        cause: error,
      });
      for (const waiter of [...this.pending.values(), ...this.infoWaiters.splice(0)]) waiter.reject(failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Starts the worker if needed and returns its generation (loads must target the live one). */
  ensure(): number {
    void this.thread;
    return this.generation;
  }

  put(message: PutMessage): void {
    this.thread.postMessage(message, [message.vectors.buffer as ArrayBuffer]);
  }

  drop(key: string): void {
    this.worker?.postMessage({ op: 'drop', key });
  }

  search(message: Omit<SearchMessage, 'op' | 'id'>): Promise<SearchResult> {
    const worker = this.thread;
    const id = this.nextId++;
    return new Promise<SearchResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending search keeps the process alive; an idle worker does not.
      worker.ref();
      worker.postMessage({ ...message, op: 'search', id } satisfies SearchMessage);
    });
  }

  /** Which kernel the worker actually runs (wasm unless disabled or unsupported). */
  runningKernel(): Promise<SearchKernel> {
    const worker = this.thread;
    return new Promise((resolve, reject) => {
      this.infoWaiters.push({ resolve, reject });
      worker.ref();
      worker.postMessage({ op: 'info' });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    const closed = new VectorStoreError('UNAVAILABLE', 'vector store is closed');
    for (const waiter of [...this.pending.values(), ...this.infoWaiters.splice(0)]) waiter.reject(closed);
    this.pending.clear();
    if (worker) await worker.terminate();
  }
}
