/**
 * The KB's keyword index in its summary while it is being built in the background for
 * chunks processed before keyword search (docs/retrieval.md#backfill), with progress, or
 * when the vector store cannot hold it. Absent once ready.
 */
import { formatNumber } from '../../components/format.ts';
import type { Kb } from './kbApi.ts';

export function LexicalIndexSummary({ index }: { index: Kb['lexical_index'] }) {
  // Nothing to say for a KB whose chunks all have their terms (every KB created since keyword search).
  if (index.state === 'ready') return null;
  if (index.state === 'unavailable') {
    return (
      <div>
        <dt>Keyword index</dt>
        <dd>
          Unavailable<span className="cell-sub">{index.message ?? 'the vector store cannot hold it'}</span>
        </dd>
      </div>
    );
  }
  const label = index.state === 'pending' ? 'Waiting to build' : 'Building';
  return (
    <div>
      <dt>Keyword index</dt>
      <dd>
        {label}
        {index.total > 0 && (
          <progress
            className="lexical-progress"
            max={index.total}
            value={index.done}
            aria-label={`Keyword index: ${index.done} of ${index.total} chunks`}
          />
        )}
        <span className="cell-sub">
          {index.state === 'pending'
            ? 'older chunks get their keyword terms in the background'
            : `${formatNumber(index.done)} of ${formatNumber(index.total)} older chunks · search works meanwhile (by vector until done)`}
        </span>
      </dd>
    </div>
  );
}
