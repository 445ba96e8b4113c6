/** Hybrid fusion (search/service.ts `fuse`): the default convex combination and RRF, side by side. */
import type { SearchHit } from '@lumikb/vector-store';
import t from 'tap';
import { effectiveConfig } from '../src/knowledge-bases/config.ts';
import { fuse } from '../src/search/service.ts';

const hit = (id: string, score: number): SearchHit => ({
  id,
  score,
  payload: { kb_id: 'k', document_id: id, chunk_index: 0, text: id, start_offset: 0, end_offset: 1 },
});

t.test(
  'weighted 0.5 (the default) keeps a clear keyword winner first where rrf lets a near-tie vector side pull level',
  async (t) => {
    const fusion = effectiveConfig({}, { llm: { generation_defaults: {} } } as never).fusion;
    t.same(fusion, { method: 'weighted', lexical_weight: 0.5 });
    // Keyword: A far ahead of B. Vector (a lexical hashing embedder): B barely ahead of A.
    const lexical = [hit('a', 12), hit('b', 2), hit('c', 1)];
    const vector = [
      { hit: hit('b', 0.31), score: 0.31 },
      { hit: hit('a', 0.3), score: 0.3 },
      { hit: hit('d', 0.1), score: 0.1 },
    ];
    const weighted = fuse(lexical, vector, fusion, 10);
    t.same(
      weighted.map((h) => h.hit.id),
      ['a', 'b', 'c', 'd'],
      'a: 0.5·1 + 0.5·0.95; b: 0.5·0.09 + 0.5·1; each side’s last scales to 0 (tie by id)',
    );
    t.same(weighted[0]!.ranks, { lexical: 1, vector: 2 });
    const rrf = fuse(lexical, vector, { method: 'rrf', rrf_k: 60 }, 10);
    t.equal(rrf[0]!.score, rrf[1]!.score, 'rrf: first and second places swapped score the same');
    t.same(fuse(lexical, vector, fusion, 2).length, 2, 'cut to the limit');
  },
);
