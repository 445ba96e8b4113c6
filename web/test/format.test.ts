/** Display formatting (web/src/components/format.ts): what every page shows for times and sizes. */
import t from 'tap';
import { formatBytes, formatMs, formatRelative, kbLabel, taskLabel } from '../src/components/format.ts';

t.test('relative times', async (t) => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  t.equal(formatRelative(null, now), 'never');
  t.equal(formatRelative(ago(10), now), 'just now');
  t.equal(formatRelative(ago(60), now), '1 minute ago');
  t.equal(formatRelative(ago(2 * 3600), now), '2 hours ago');
  t.equal(formatRelative(ago(3 * 86400), now), '3 days ago');
  t.equal(formatRelative(ago(-3 * 3600), now), 'in 3 hours');
  t.equal(formatRelative('not a date', now), 'not a date', 'an unparseable value is shown as it is');
});

t.test('sizes, durations and labels', async (t) => {
  t.equal(formatBytes(undefined), '—');
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(1536), '1.5 KB');
  t.equal(formatBytes(50 * 1024 * 1024), '50 MB');
  t.equal(formatMs(250.4), '250 ms');
  t.equal(formatMs(1530), '1.5 s');
  t.equal(formatMs(null), '—');
  t.equal(kbLabel({ kb_id: '0123456789abcdef', name: null }), 'KB 01234567…', 'a hidden name shows a short id');
  t.equal(kbLabel({ kb_id: '0123456789abcdef', name: 'Manuals' }), 'Manuals');
  t.equal(taskLabel({ document_id: 'fedcba9876543210', filename: null }), 'Document fedcba98…');
});
