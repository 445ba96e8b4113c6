/**
 * The web app's data layer: TanStack Query (@tanstack/react-query) over the typed client.
 *
 * - `useQuery(key, load, options)` reads through one cache shared by every page: two
 *   components (or two visits to a page) asking for the same key share one request and
 *   one answer; a page opened again shows what it showed last at once and refreshes it
 *   in the background when it is older than `staleTime`.
 * - `useMutation(action, { invalidates })` runs a change and then invalidates the keys it
 *   affects, so every list that shows them (this page or any other) refreshes; `run`
 *   resolves once the visible ones have.
 * - Keys live in `keys.ts`; which mutation invalidates what is written there too.
 *
 * Both return the small shapes the pages were written against (`Query`, `Mutation`), so a
 * page needs no TanStack types.
 */
import {
  keepPreviousData,
  QueryClient,
  type QueryKey,
  useQueryClient,
  useMutation as useTanstackMutation,
  useQuery as useTanstackQuery,
} from '@tanstack/react-query';
import { useCallback } from 'react';
import { type ApiError, toApiError } from './client.ts';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: ApiError;
  }
}

/** Whether a failed read is worth one more try: the network or the server (5xx), never a refusal (4xx). */
export function retryable(error: ApiError): boolean {
  return error.code === 'NETWORK_ERROR' || error.status >= 500;
}

/** Data counts as fresh this long after it arrived: opening a page again within it sends nothing. */
export const STALE_MS = 5_000;

/** One client for the app (App.tsx provides it). */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: STALE_MS,
        gcTime: 10 * 60_000,
        // One retry after a second for a lost connection or a 5xx; a 4xx is the answer.
        retry: (failures, error) => failures < 1 && retryable(error),
        retryDelay: 1_000,
        refetchOnWindowFocus: true,
        // Polls (refetchInterval) pause while the tab is hidden.
        refetchIntervalInBackground: false,
      },
      mutations: { retry: false },
    },
  });
}

export interface Query<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer for this key (reloads keep showing the previous data). */
  loading: boolean;
  /** True while any request, first or reload, is in flight. */
  fetching: boolean;
  reload: () => Promise<void>;
  /** Replaces the cached answer (e.g. with what a save returned), for every reader of the key. */
  setData: (update: T | ((previous: T | undefined) => T)) => void;
}

export interface QueryOptions<T> {
  /**
   * Poll every this many milliseconds while the tab is visible (live figures); a function
   * decides from the latest data (e.g. fast while documents are processing, off once settled).
   */
  pollMs?: number | false | ((data: T | undefined) => number | false);
  /** Skip loading while false (e.g. until a selection is made). */
  enabled?: boolean;
  /** Keep showing the previous key's data while a new key loads (filters, pages of a list). */
  keepPrevious?: boolean;
  /** Override `STALE_MS` (reference data that rarely changes). */
  staleMs?: number;
}

/**
 * Reads `load()` under `key`:
 *   const models = useQuery(keys.admin.models({}), () => call(api.GET('/api/v1/admin/models')));
 */
export function useQuery<T>(key: QueryKey, load: () => Promise<T>, options: QueryOptions<T> = {}): Query<T> {
  const { pollMs, enabled = true, keepPrevious = false, staleMs } = options;
  const client = useQueryClient();
  const query = useTanstackQuery<T, ApiError>({
    queryKey: key,
    queryFn: async () => {
      try {
        return await load();
      } catch (error) {
        throw toApiError(error);
      }
    },
    enabled,
    ...(staleMs !== undefined ? { staleTime: staleMs } : {}),
    ...(keepPrevious ? { placeholderData: keepPreviousData } : {}),
    refetchInterval:
      typeof pollMs === 'function' ? (q) => pollMs(q.state.data as T | undefined) || false : (pollMs ?? false),
  });
  const { refetch } = query;
  const reload = useCallback(async () => {
    await refetch();
  }, [refetch]);
  const keyHash = JSON.stringify(key);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key's content, not its identity
  const setData = useCallback(
    (update: T | ((previous: T | undefined) => T)) => {
      client.setQueryData<T>(key, (previous) =>
        typeof update === 'function' ? (update as (p: T | undefined) => T)(previous) : update,
      );
    },
    [client, keyHash],
  );
  return {
    data: query.data,
    error: query.error ?? undefined,
    loading: query.isLoading,
    fetching: query.isFetching,
    reload,
    setData,
  };
}

export interface Mutation<A extends unknown[], R> {
  run: (...args: A) => Promise<R | undefined>;
  pending: boolean;
  error: ApiError | undefined;
  reset: () => void;
}

export interface MutationOptions<A extends unknown[], R> {
  /** Keys (prefixes) whose data this change makes out of date; refreshed before `run` resolves. */
  invalidates?: readonly Stale[] | ((result: R, ...args: A) => readonly Stale[]);
  /** Runs after a success, before invalidation (e.g. put the saved object into the cache). */
  onSuccess?: (result: R, ...args: A) => void;
  /** Runs after a failure (e.g. a toast); the error is also in `.error`. */
  onError?: (error: ApiError, ...args: A) => void;
}

/**
 * Wraps an action (save, delete, test …): tracks pending and the last error; `run`
 * resolves to undefined when the action failed, so callers need no try/catch.
 *   const remove = useMutation((id: string) => call(api.DELETE(…)), { invalidates: [keys.admin.groups.all] });
 */
export function useMutation<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
  options: MutationOptions<A, R> = {},
): Mutation<A, R> {
  const client = useQueryClient();
  const mutation = useTanstackMutation<R, ApiError, A>({
    mutationFn: async (args) => {
      try {
        return await action(...args);
      } catch (error) {
        throw toApiError(error);
      }
    },
    onSuccess: async (result, args) => {
      options.onSuccess?.(result, ...args);
      const { invalidates } = options;
      const stale = typeof invalidates === 'function' ? invalidates(result, ...args) : (invalidates ?? []);
      await invalidate(client, stale);
    },
    onError: (error, args) => options.onError?.(error, ...args),
  });
  const { mutateAsync, reset } = mutation;
  const run = useCallback((...args: A) => mutateAsync(args).catch(() => undefined), [mutateAsync]);
  return { run, pending: mutation.isPending, error: mutation.error ?? undefined, reset };
}

/** A key prefix (it and every key under it), or one key alone (`exact`). */
export type Stale = QueryKey | { readonly key: QueryKey; readonly exact: true };

/** Marks every query under these keys stale and refetches the ones on screen. */
export function invalidate(client: QueryClient, stale: readonly Stale[]): Promise<void> {
  return Promise.all(
    stale.map((s) =>
      'exact' in s && !Array.isArray(s)
        ? client.invalidateQueries({ queryKey: s.key, exact: true })
        : client.invalidateQueries({ queryKey: s as QueryKey }),
    ),
  ).then(() => undefined);
}

/** `invalidate` bound to the app's client, for changes made outside `useMutation` (uploads, streams). */
export function useInvalidate(): (stale: readonly Stale[]) => Promise<void> {
  const client = useQueryClient();
  return useCallback((stale: readonly Stale[]) => invalidate(client, stale), [client]);
}

/** Drops cached data for good (a deleted resource), so nothing refetches or shows it again. */
export function useForget(): (key: QueryKey) => void {
  const client = useQueryClient();
  return useCallback((queryKey: QueryKey) => client.removeQueries({ queryKey }), [client]);
}
