/**
 * Embedding batches in flight per worker, shared by all its documents. Documents in
 * flight (WORKER_CONCURRENCY) may exceed it, so that while some documents wait for the
 * embedder others parse, chunk and index: the embedder never waits for the rest of the
 * pipeline. (Fifteen lines of queue; not worth a dependency.)
 */
export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimit(size: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
