/** Reciprocal-rank fusion as Qdrant's Query API `fusion: "rrf"` computes it (k = 2). */
import type { SearchHit } from './types.ts';

export const QDRANT_RRF_K = 2;

/** Σ 1/(k + position) over the rankings a hit appears in (position from 0, as Qdrant counts); ties by id. */
export function rrfFuse(rankings: SearchHit[][], limit: number, k = QDRANT_RRF_K): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  for (const ranking of rankings) {
    ranking.forEach((hit, i) => {
      const add = 1 / (k + i);
      const seen = fused.get(hit.id);
      if (seen) seen.score += add;
      else fused.set(hit.id, { ...hit, score: add });
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
