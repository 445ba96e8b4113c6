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
