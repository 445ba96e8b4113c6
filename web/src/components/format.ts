/** Display formatting shared by every page. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (Math.abs(seconds) < 45) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ];
  let value = Math.round(seconds / 60);
  let unit = 'minute';
  for (const [size, name] of units) {
    if (Math.abs(seconds) >= size) {
      value = Math.round(seconds / size);
      unit = name;
    }
  }
  const abs = Math.abs(value);
  const text = `${abs} ${unit}${abs === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A KB's name, or its short id where the caller may not see the name (operators outside it). */
export function kbLabel(kb: { kb_id: string; name: string | null }): string {
  return kb.name ?? `KB ${kb.kb_id.slice(0, 8)}…`;
}

/** A processing task's file name, or its document's short id where the caller may not see it. */
export function taskLabel(task: { document_id: string; filename: string | null }): string {
  return task.filename ?? `Document ${task.document_id.slice(0, 8)}…`;
}

/** A KB grant as a person reads it (READ/WRITE/ADMIN are the API's words). */
export const ACCESS_NAMES: Record<string, { name: string; means: string }> = {
  READ: { name: 'Read only', means: 'search, chat and open documents' },
  WRITE: { name: 'Read and write', means: 'also upload, retry and delete documents' },
  ADMIN: { name: 'Manage', means: 'also change settings, models and who has access' },
};
export function accessName(permission: string | null | undefined): string {
  return permission ? (ACCESS_NAMES[permission]?.name ?? permission) : 'No access';
}

/** Audit actors whose ids are internal names, and what a person calls them. */
const ACTOR_NAMES: Record<string, string> = {
  'system:anonymous': 'Anonymous (not signed in)',
  'system:system': 'System',
  'system:stuck-document-sweep': 'System (stuck-document sweep)',
  'service:ingestion-worker': 'Service (ingestion worker)',
  'service:proxy-sync': 'Service (proxy sync)',
};

/** Who did it: the user's email, else a readable name for a system or service actor. */
export function formatActor(actor: { type: string; id: string; email?: string | null }): string {
  if (actor.email) return actor.email;
  const known = ACTOR_NAMES[`${actor.type}:${actor.id}`];
  if (known) return known;
  const kind = actor.type.charAt(0).toUpperCase() + actor.type.slice(1);
  if (actor.type === 'user') return `User ${actor.id.slice(0, 8)}`;
  return `${kind} (${actor.id.replace(/[-_]+/g, ' ')})`;
}
