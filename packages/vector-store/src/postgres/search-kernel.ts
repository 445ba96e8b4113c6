/**
 * Exact nearest-neighbour search over in-memory float32 matrices, run in a worker thread so
 * scoring tens of thousands of vectors never blocks the service's event loop.
 *
 * `searchWorkerMain` runs in the worker, bundled with search-worker-entry.ts into one script
 * (scripts/build-worker.ts) that the worker is started from (`new Worker(src, { eval: true })`):
 * the same under tsx, tap and a bundled service, with no separate worker file to ship.
 *
 * Scores are computed by a small WebAssembly SIMD kernel (score.wat) when the runtime
 * supports it — about 2× faster than JavaScript for one query and 4× when concurrent
 * queries are scored in one pass — and by the same loop in JavaScript otherwise.
 */

/** Passed as `workerData`. */
export interface WorkerInit {
  /** The scoring kernel; absent or invalid: score in JavaScript. */
  wasm?: Uint8Array;
}

/** Replace a collection's rows (full) or apply a delta (removed ids, then upserted rows). */
export interface PutMessage {
  op: 'put';
  key: string;
  dims: number;
  full: boolean;
  ids: string[];
  docs: string[];
  /** ids.length × dims values, row-major. */
  vectors: Float32Array;
  removed: string[];
}

export interface DropMessage {
  op: 'drop';
  key: string;
}

export interface SearchMessage {
  op: 'search';
  id: number;
  key: string;
  /** `dot` for dot and (pre-normalised) cosine; `euclid` scores the distance, lower is better. */
  metric: 'dot' | 'euclid';
  query: Float32Array;
  limit: number;
  threshold?: number;
  doc?: string;
}

/** Asks the worker which kernel it runs (answered with `{ op: 'info', wasm }`). */
export interface InfoMessage {
  op: 'info';
}

export type WorkerRequest = PutMessage | DropMessage | SearchMessage | InfoMessage;

export type WorkerReply =
  | { id: number; ok: true; ids: string[]; scores: number[] }
  | { id: number; ok: false; error: string; missing?: boolean };

// The lib settings carry no WebAssembly typings: the little the worker uses, declared here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** Runs the worker; `threads` is `node:worker_threads` as seen from inside the worker. */
export function searchWorkerMain(threads: typeof import('node:worker_threads')): void {
  const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { parentPort, workerData } = threads;
  if (!parentPort) return;
  const port = parentPort;
  const init = (workerData ?? {}) as WorkerInit;

  type ScoreFn = (mat: number, n: number, dims: number, qs: number, nq: number, out: number, l2: number) => void;
  let wasmModule: object | undefined;
  try {
    if (init.wasm && Wasm.validate(init.wasm)) wasmModule = new Wasm.Module(init.wasm);
  } catch {
    wasmModule = undefined;
  }

  interface Store {
    dims: number;
    n: number;
    /** Rows the matrix has room for. */
    cap: number;
    /** Row-major matrix: a view on `memory` (wasm) or its own array. */
    vec: Float32Array;
    memory: WasmMemory | undefined;
    score: ScoreFn | undefined;
    ids: string[];
    doc: Int32Array;
    docIndex: Map<string, number>;
    pos: Map<string, number>;
  }
  interface Pending {
    msg: SearchMessage;
    docIdx: number;
    keys: Float64Array;
    rows: Int32Array;
    size: number;
  }

  const PAGE = 65_536;
  /** Queries scored per kernel call: bounds the scratch space (queries × rows floats). */
  const MAX_BATCH = 64;
  const stores = new Map<string, Store>();
  let queue: SearchMessage[] = [];
  let scheduled = false;

  /** Makes the wasm memory at least `bytes` long and refreshes the matrix view. */
  function reserve(s: Store, bytes: number): void {
    const memory = s.memory as WasmMemory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    s.vec = new Float32Array(memory.buffer, 0, s.cap * s.dims);
  }

  function emptyStore(dims: number, capacity: number): Store {
    const cap = Math.max(capacity, 16);
    const s: Store = {
      dims,
      n: 0,
      cap,
      vec: new Float32Array(0),
      memory: undefined,
      score: undefined,
      ids: [],
      doc: new Int32Array(cap),
      docIndex: new Map(),
      pos: new Map(),
    };
    if (wasmModule) {
      const instance = new Wasm.Instance(wasmModule, {});
      s.memory = instance.exports.memory as WasmMemory;
      s.score = instance.exports.score as ScoreFn;
      reserve(s, cap * dims * 4);
    } else {
      s.vec = new Float32Array(cap * dims);
    }
    return s;
  }

  function ensureCapacity(s: Store, rows: number): void {
    if (rows <= s.cap) return;
    const cap = Math.max(rows, Math.ceil(s.cap * 1.5));
    if (s.memory) {
      // The matrix starts at offset 0 and everything after it is scratch: grow in place.
      s.cap = cap;
      reserve(s, cap * s.dims * 4);
    } else {
      const vec = new Float32Array(cap * s.dims);
      vec.set(s.vec.subarray(0, s.n * s.dims));
      s.vec = vec;
      s.cap = cap;
    }
    const doc = new Int32Array(cap);
    doc.set(s.doc.subarray(0, s.n));
    s.doc = doc;
  }

  function docIdx(s: Store, name: string): number {
    let i = s.docIndex.get(name);
    if (i === undefined) {
      i = s.docIndex.size;
      s.docIndex.set(name, i);
    }
    return i;
  }

  function removeRow(s: Store, id: string): void {
    const r = s.pos.get(id);
    if (r === undefined) return;
    const last = s.n - 1;
    if (r !== last) {
      s.vec.copyWithin(r * s.dims, last * s.dims, (last + 1) * s.dims);
      s.doc[r] = s.doc[last] as number;
      const moved = s.ids[last] as string;
      s.ids[r] = moved;
      s.pos.set(moved, r);
    }
    s.ids.pop();
    s.pos.delete(id);
    s.n = last;
  }

  function put(m: PutMessage): void {
    let s = m.full ? undefined : stores.get(m.key);
    if (!s || s.dims !== m.dims) {
      s = emptyStore(m.dims, m.ids.length);
      stores.set(m.key, s);
    }
    for (const id of m.removed) removeRow(s, id);
    ensureCapacity(s, s.n + m.ids.length);
    for (let i = 0; i < m.ids.length; i++) {
      const id = m.ids[i] as string;
      let r = s.pos.get(id);
      if (r === undefined) {
        r = s.n++;
        s.ids[r] = id;
        s.pos.set(id, r);
      }
      s.vec.set(m.vectors.subarray(i * m.dims, (i + 1) * m.dims), r * m.dims);
      s.doc[r] = docIdx(s, m.docs[i] as string);
    }
  }

  // Keeps the best `limit` rows; `key` is higher-is-better for every metric.
  function offer(p: Pending, key: number, row: number): void {
    const limit = p.keys.length;
    if (p.size === limit && key <= (p.keys[limit - 1] as number)) return;
    let i = p.size < limit ? p.size++ : limit - 1;
    while (i > 0 && (p.keys[i - 1] as number) < key) {
      p.keys[i] = p.keys[i - 1] as number;
      p.rows[i] = p.rows[i - 1] as number;
      i--;
    }
    p.keys[i] = key;
    p.rows[i] = row;
  }

  /** The same computation as score.wat, for runtimes without WebAssembly SIMD. */
  function scoreInJs(s: Store, batch: Pending[], l2: boolean, out: Float32Array): void {
    const { dims, n, vec } = s;
    for (let r = 0; r < n; r++) {
      const base = r * dims;
      for (let g = 0; g < batch.length; g++) {
        const q = (batch[g] as Pending).msg.query;
        let acc = 0;
        if (l2) {
          for (let k = 0; k < dims; k++) {
            const d = (vec[base + k] as number) - (q[k] as number);
            acc += d * d;
          }
        } else {
          for (let k = 0; k < dims; k++) acc += (vec[base + k] as number) * (q[k] as number);
        }
        out[g * n + r] = acc;
      }
    }
  }

  // One pass over the matrix scores every query waiting for the same collection: each row
  // is read from memory once and stays in cache while every query uses it.
  function scoreBatch(s: Store, batch: Pending[]): void {
    const { dims, n } = s;
    const l2 = batch[0]?.msg.metric === 'euclid';
    let out: Float32Array;
    let outBase = 0;
    if (s.memory && s.score) {
      const qs = Math.ceil((s.cap * dims * 4) / 16) * 16;
      const outOffset = qs + batch.length * dims * 4;
      reserve(s, outOffset + batch.length * n * 4);
      const memory = new Float32Array(s.memory.buffer);
      batch.forEach((p, g) => {
        memory.set(p.msg.query, qs / 4 + g * dims);
      });
      s.score(0, n, dims, qs, batch.length, outOffset, l2 ? 1 : 0);
      out = memory;
      outBase = outOffset / 4;
    } else {
      out = new Float32Array(batch.length * n);
      scoreInJs(s, batch, l2, out);
    }
    for (let g = 0; g < batch.length; g++) {
      const p = batch[g] as Pending;
      const base = outBase + g * n;
      const threshold = p.msg.threshold;
      for (let r = 0; r < n; r++) {
        if (p.docIdx !== -2 && p.docIdx !== s.doc[r]) continue;
        const v = out[base + r] as number;
        // Strictly better than the threshold, as Qdrant's check_threshold.
        if (l2) {
          if (threshold !== undefined && !(Math.sqrt(v) < threshold)) continue;
          offer(p, -v, r);
        } else {
          if (threshold !== undefined && !(v > threshold)) continue;
          offer(p, v, r);
        }
      }
    }
  }

  function drain(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    const groups = new Map<string, Pending[]>();
    for (const msg of batch) {
      const s = stores.get(msg.key);
      if (!s) {
        port.postMessage({ id: msg.id, ok: false, error: `collection ${msg.key} is not loaded`, missing: true });
        continue;
      }
      if (msg.query.length !== s.dims) {
        port.postMessage({ id: msg.id, ok: false, error: `query has ${msg.query.length} dimensions, not ${s.dims}` });
        continue;
      }
      // -2: no filter; -1: a document with no rows (matches nothing).
      const docIdxValue = msg.doc === undefined ? -2 : (s.docIndex.get(msg.doc) ?? -1);
      const limit = Math.min(msg.limit, Math.max(s.n, 1));
      const pending: Pending = {
        msg,
        docIdx: docIdxValue,
        keys: new Float64Array(limit),
        rows: new Int32Array(limit),
        size: 0,
      };
      const group = groups.get(msg.key);
      if (group) group.push(pending);
      else groups.set(msg.key, [pending]);
    }
    for (const [key, group] of groups) {
      const s = stores.get(key) as Store;
      for (let start = 0; start < group.length; start += MAX_BATCH) {
        const slice = group.slice(start, start + MAX_BATCH);
        try {
          scoreBatch(s, slice);
        } catch (error) {
          for (const p of slice) port.postMessage({ id: p.msg.id, ok: false, error: String(error) });
          continue;
        }
        for (const p of slice) {
          const ids: string[] = [];
          const scores: number[] = [];
          for (let i = 0; i < p.size; i++) {
            ids.push(s.ids[p.rows[i] as number] as string);
            const k = p.keys[i] as number;
            scores.push(p.msg.metric === 'dot' ? k : Math.sqrt(-k));
          }
          port.postMessage({ id: p.msg.id, ok: true, ids, scores });
        }
      }
    }
  }

  port.on('message', (m: WorkerRequest) => {
    if (m.op === 'put') put(m);
    else if (m.op === 'drop') stores.delete(m.key);
    else if (m.op === 'search') {
      queue.push(m);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    } else port.postMessage({ op: 'info', wasm: wasmModule !== undefined });
  });
}
