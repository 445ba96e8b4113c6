/** React glue for the API client: load data with loading/error state, run mutations. */
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, toApiError } from './client.ts';

export interface Query<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (reloads keep showing the previous data). */
  loading: boolean;
  /** True while any request, first or reload, is in flight. */
  fetching: boolean;
  reload: () => Promise<void>;
  setData: (update: T | ((previous: T | undefined) => T)) => void;
}

export interface QueryOptions {
  /** Reload every this many milliseconds while the page is visible (live figures). */
  pollMs?: number;
  /** Skip loading while false (e.g. until a selection is made). */
  enabled?: boolean;
}

/**
 * Loads `load()` now and whenever `deps` change; stale answers are dropped.
 *   const models = useQuery(() => call(api.GET('/api/v1/admin/models')), []);
 */
export function useQuery<T>(load: () => Promise<T>, deps: DependencyList, options: QueryOptions = {}): Query<T> {
  const { pollMs, enabled = true } = options;
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(enabled);
  const [fetching, setFetching] = useState(false);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setFetching(true);
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setDataState(value);
      setError(undefined);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(toApiError(e));
    } finally {
      if (mine === generation.current) {
        setLoading(false);
        setFetching(false);
      }
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    setLoading(true);
    void run();
    return () => {
      generation.current++;
    };
  }, [...deps, enabled]);

  useEffect(() => {
    if (!pollMs || !enabled) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void run();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs, enabled, run]);

  const setData = useCallback((update: T | ((previous: T | undefined) => T)) => {
    setDataState((previous) => (typeof update === 'function' ? (update as (p: T | undefined) => T)(previous) : update));
  }, []);

  return { data, error, loading, fetching, reload: run, setData };
}

export interface Mutation<A extends unknown[], R> {
  run: (...args: A) => Promise<R | undefined>;
  pending: boolean;
  error: ApiError | undefined;
  reset: () => void;
}

/**
 * Wraps an action (save, delete, test …): tracks pending and the last error; `run`
 * resolves to undefined when the action failed, so callers need no try/catch.
 */
export function useMutation<A extends unknown[], R>(action: (...args: A) => Promise<R>): Mutation<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(undefined);
    try {
      return await actionRef.current(...args);
    } catch (e) {
      setError(toApiError(e));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { run, pending, error, reset: () => setError(undefined) };
}
