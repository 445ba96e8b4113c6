/**
 * Every query key of the app, and what each kind of change makes out of date.
 *
 * A key is an array from the general to the particular: `['kbs', 'detail', id, 'documents', …]`.
 * Invalidating a key invalidates every key that starts with it, so `keys.kbs.detail(id)`
 * covers the KB, its settings, its documents and their contents. Pages never write keys by
 * hand; a new read gets a key here, under the resource it reads.
 */

type Params = Record<string, unknown>;

export const keys = {
  auth: {
    sessions: ['auth', 'sessions'] as const,
  },
  kbs: {
    all: ['kbs'] as const,
    /** Every list of KBs (the KB page's pages and filters, the pickers). */
    lists: ['kbs', 'list'] as const,
    list: (query: Params) => ['kbs', 'list', 'page', query] as const,
    /** Every readable KB, all pages (search and chat pickers). */
    readable: ['kbs', 'list', 'readable'] as const,
    detail: (id: string) => ['kbs', 'detail', id] as const,
    modelConfig: (id: string) => ['kbs', 'detail', id, 'model-config'] as const,
    documents: (id: string) => ['kbs', 'detail', id, 'documents'] as const,
    documentList: (id: string, query: Params) => ['kbs', 'detail', id, 'documents', 'list', query] as const,
    document: (id: string, docId: string) => ['kbs', 'detail', id, 'documents', 'one', docId] as const,
    content: (id: string, docId: string) => ['kbs', 'detail', id, 'documents', 'one', docId, 'content'] as const,
  },
  /** Active models of both types, as users see them (KB forms and pickers). */
  availableModels: ['models', 'available'] as const,
  search: (body: Params) => ['search', body] as const,
  conversations: {
    all: ['conversations'] as const,
    lists: ['conversations', 'list'] as const,
    list: (query: Params) => ['conversations', 'list', query] as const,
    detail: (id: string) => ['conversations', 'detail', id] as const,
  },
  admin: {
    users: { all: ['admin', 'users'] as const, list: (query: Params) => ['admin', 'users', query] as const },
    groups: {
      all: ['admin', 'groups'] as const,
      list: ['admin', 'groups', 'list'] as const,
      members: (id: string) => ['admin', 'groups', 'members', id] as const,
    },
    grants: {
      all: ['admin', 'kb-permissions'] as const,
      list: (query: Params) => ['admin', 'kb-permissions', query] as const,
    },
    models: {
      all: ['admin', 'models'] as const,
      list: (query: Params) => ['admin', 'models', 'list', query] as const,
      one: (id: string) => ['admin', 'models', 'one', id] as const,
      providers: ['admin', 'models', 'providers'] as const,
      sync: ['admin', 'models', 'sync'] as const,
    },
    llm: {
      all: ['admin', 'llm'] as const,
      config: ['admin', 'llm', 'config'] as const,
      health: (probe: boolean) => ['admin', 'llm', 'health', { probe }] as const,
    },
    settings: ['admin', 'config'] as const,
    kbStats: ['admin', 'kb-stats'] as const,
    queue: {
      all: ['admin', 'queue'] as const,
      status: ['admin', 'queue', 'status'] as const,
      tasks: (query: Params) => ['admin', 'queue', 'tasks', query] as const,
    },
    audit: { all: ['admin', 'audit'] as const, list: (query: Params) => ['admin', 'audit', query] as const },
  },
};

/**
 * What each kind of change makes out of date (pass to `useMutation`'s `invalidates`). One
 * rule per resource, so a page that shows a resource somewhere new only needs its key under
 * the resource's root to stay current.
 */
export const changed = {
  /** Documents of a KB added, deleted, retried or finished: the KB's figures, every KB list, operations' views. */
  documents: (kbId: string) => [keys.kbs.detail(kbId), keys.kbs.lists, keys.admin.kbStats, keys.admin.queue.all],
  /** A KB's figures, after its documents' statuses changed (not the documents themselves: they were just read). */
  documentFigures: (kbId: string) => [
    { key: keys.kbs.detail(kbId), exact: true } as const,
    keys.kbs.lists,
    keys.admin.kbStats,
  ],
  /** A KB created, renamed, reconfigured or deleted. */
  kb: () => [keys.kbs.all, keys.admin.kbStats, keys.admin.grants.all, keys.conversations.all],
  /** Grants changed: who sees which KB. */
  grants: () => [keys.admin.grants.all, keys.kbs.all],
  /** A model added, edited, deleted, tested, made default or synced: pickers and KB cards show them too. */
  models: () => [keys.admin.models.all, keys.admin.llm.all, keys.availableModels, keys.kbs.all, keys.admin.kbStats],
  /** Default models and generation defaults. */
  llmConfig: () => [keys.admin.llm.all, keys.admin.models.all, keys.availableModels],
  /** Users or groups (members, levels, active): counts and names show on each other's pages and in grants. */
  people: () => [keys.admin.users.all, keys.admin.groups.all, keys.admin.grants.all],
  /** The processing queue (retries): tasks, counts and the KBs' document figures. */
  queue: () => [keys.admin.queue.all, keys.admin.kbStats, keys.kbs.all],
  /** A conversation answered or rated (its list moves it to the top). */
  conversation: (id: string) => [keys.conversations.detail(id), keys.conversations.lists],
};
