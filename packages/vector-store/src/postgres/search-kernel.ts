/**
 * Exact nearest-neighbour search over in-memory float32 matrices, run in a worker thread so
 * scoring tens of thousands of vectors never blocks the service's event loop.
 *
 * `searchWorkerMain` is started from its own source text (`new Worker(src, { eval: true })`),
 * so it must not reference anything outside its body: that is what lets it run the same way
 * under tsx, tap and a bundled service without a separate worker file to ship.
 */

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

export type WorkerRequest = PutMessage | DropMessage | SearchMessage;

export type WorkerReply =
  | { id: number; ok: true; ids: string[]; scores: number[] }
  | { id: number; ok: false; error: string; missing?: boolean };

export function searchWorkerMain(): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (!parentPort) return;
  const port = parentPort;

  interface Store {
    dims: number;
    n: number;
    vec: Float32Array;
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

  const stores = new Map<string, Store>();
  let queue: SearchMessage[] = [];
  let scheduled = false;

  function emptyStore(dims: number, capacity: number): Store {
    return {
      dims,
      n: 0,
      vec: new Float32Array(Math.max(capacity, 16) * dims),
      ids: [],
      doc: new Int32Array(Math.max(capacity, 16)),
      docIndex: new Map(),
      pos: new Map(),
    };
  }

  function ensureCapacity(s: Store, rows: number): void {
    if (rows <= s.doc.length) return;
    const cap = Math.max(rows, Math.ceil(s.doc.length * 1.5));
    const vec = new Float32Array(cap * s.dims);
    vec.set(s.vec.subarray(0, s.n * s.dims));
    const doc = new Int32Array(cap);
    doc.set(s.doc.subarray(0, s.n));
    s.vec = vec;
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

  // One pass over the matrix scores every query waiting for the same collection: a row is
  // read from memory once and stays in cache while each query uses it.
  function scoreGroup(s: Store, group: Pending[]): void {
    const dims = s.dims;
    const vec = s.vec;
    const tail = dims - (dims % 4);
    for (let r = 0; r < s.n; r++) {
      const base = r * dims;
      const d = s.doc[r] as number;
      for (let g = 0; g < group.length; g++) {
        const p = group[g] as Pending;
        if (p.docIdx !== -2 && p.docIdx !== d) continue;
        const q = p.msg.query;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let k = 0;
        if (p.msg.metric === 'dot') {
          for (; k < tail; k += 4) {
            a0 += (vec[base + k] as number) * (q[k] as number);
            a1 += (vec[base + k + 1] as number) * (q[k + 1] as number);
            a2 += (vec[base + k + 2] as number) * (q[k + 2] as number);
            a3 += (vec[base + k + 3] as number) * (q[k + 3] as number);
          }
          for (; k < dims; k++) a0 += (vec[base + k] as number) * (q[k] as number);
          const score = a0 + a1 + a2 + a3;
          // Strictly better than the threshold, as Qdrant's check_threshold.
          if (p.msg.threshold !== undefined && !(score > p.msg.threshold)) continue;
          offer(p, score, r);
        } else {
          for (; k < tail; k += 4) {
            const d0 = (vec[base + k] as number) - (q[k] as number);
            const d1 = (vec[base + k + 1] as number) - (q[k + 1] as number);
            const d2 = (vec[base + k + 2] as number) - (q[k + 2] as number);
            const d3 = (vec[base + k + 3] as number) - (q[k + 3] as number);
            a0 += d0 * d0;
            a1 += d1 * d1;
            a2 += d2 * d2;
            a3 += d3 * d3;
          }
          for (; k < dims; k++) {
            const d0 = (vec[base + k] as number) - (q[k] as number);
            a0 += d0 * d0;
          }
          const squared = a0 + a1 + a2 + a3;
          if (p.msg.threshold !== undefined && !(Math.sqrt(squared) < p.msg.threshold)) continue;
          offer(p, -squared, r);
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
      scoreGroup(s, group);
      for (const p of group) {
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

  port.on('message', (m: WorkerRequest) => {
    if (m.op === 'put') put(m);
    else if (m.op === 'drop') stores.delete(m.key);
    else {
      queue.push(m);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    }
  });
}
