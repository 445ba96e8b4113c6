/** A coloured label for a status; the tone comes from what the status means. */
import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

const TONES: Record<string, Tone> = {
  ready: 'success',
  done: 'success',
  active: 'success',
  healthy: 'success',
  synced: 'success',
  ok: 'success',
  success: 'success',
  processing: 'info',
  in_progress: 'info',
  syncing: 'info',
  pending: 'neutral',
  skipped: 'neutral',
  unknown: 'neutral',
  untested: 'neutral',
  inactive: 'neutral',
  not_synced: 'neutral',
  deprecated: 'warning',
  degraded: 'warning',
  warning: 'warning',
  failed: 'danger',
  failure: 'danger',
  error: 'danger',
  unhealthy: 'danger',
  sync_failed: 'danger',
  deactivated: 'danger',
};

export function toneOf(status: string): Tone {
  return TONES[status.toLowerCase()] ?? 'neutral';
}

export function StatusBadge({
  status,
  tone,
  children,
  title,
}: {
  status: string;
  tone?: Tone;
  children?: ReactNode;
  title?: string;
}) {
  const label = children ?? status.replace(/_/g, ' ').toLowerCase();
  return (
    <span className={`badge badge-${tone ?? toneOf(status)}`} title={title} data-status={status}>
      {label}
    </span>
  );
}
