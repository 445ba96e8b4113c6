/** RM3 query expansion (search/prf.ts): the weights, the cut to fbTerms, and when it does nothing. */
import t from 'tap';
import { RM3_DEFAULTS, rm3Expand } from '../src/search/prf.ts';

const sum = (q: Record<string, number>) => Object.values(q).reduce((s, w) => s + w, 0);

t.test('the original terms keep half the weight; the heaviest feedback terms share the other half', async (t) => {
  t.same(RM3_DEFAULTS, { fbDocs: 10, fbTerms: 10, originalWeight: 0.5 }, "Anserini's defaults");
  const expanded = rm3Expand({ shock: 1, wave: 1 }, [
    { text: 'shock wave interaction with the boundary layer', score: 3 },
    { text: 'boundary layer separation behind the shock', score: 1 },
  ]);
  t.ok(Math.abs(sum(expanded) - 1) < 1e-12, 'weights sum to 1');
  // original: 0.5 · 1/2 each; feedback: P(term|R) = Σ score share · tf/|D| (D1: 3/4 of the
  // score over 5 terms, D2: 1/4 over 5), the 7 terms' total is 1, times 0.5.
  const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-12;
  t.ok(close(expanded.shock, 0.25 + 0.5 * (0.75 / 5 + 0.25 / 5)), 'shock: its own share plus both passages');
  t.ok(close(expanded.wave, 0.25 + 0.5 * (0.75 / 5)), 'wave: its own share plus the first passage');
  t.ok(close(expanded.boundari, 0.5 * (0.75 / 5 + 0.25 / 5)), 'feedback words come in stemmed as the index stems');
  t.ok(close(expanded.interac, 0.5 * (0.75 / 5)), 'a term of the higher-scored passage…');
  t.ok(close(expanded.separ, 0.5 * (0.25 / 5)), '…weighs three times one of the lower-scored');
  t.equal(expanded.the, undefined, 'stop words never come in');
});

t.test('only fbTerms feedback terms, the heaviest, ties by term', async (t) => {
  const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu';
  const expanded = rm3Expand({ query: 2 }, [{ text, score: 1 }], 'english', { fbTerms: 3 });
  t.same(Object.keys(expanded).sort(), ['alpha', 'beta', 'delta', 'query'], 'the query term and 3 feedback terms');
  t.ok(Math.abs(expanded.query! - 0.5) < 1e-12);
  t.ok(Math.abs(expanded.alpha! - 0.5 / 3) < 1e-12);
});

t.test('no usable feedback leaves the query unchanged', async (t) => {
  t.same(rm3Expand({ a1: 1 }, []), { a1: 1 }, 'no passages');
  t.same(rm3Expand({ a1: 1 }, [{ text: 'lift', score: 0 }]), { a1: 1 }, 'no positive score');
  t.same(rm3Expand({ a1: 1 }, [{ text: 'the of and', score: 2 }]), { a1: 1 }, 'passages of stop words only');
  t.same(rm3Expand({ a1: 1 }, [{ text: 'lift', score: 2 }], 'english', { originalWeight: 1 }), { a1: 1 });
  const many = Array.from({ length: 20 }, (_, i) => ({ text: `term${i}`, score: 1 }));
  const expanded = rm3Expand({ q: 1 }, many, 'english', { fbTerms: 100 });
  t.equal(Object.keys(expanded).length, 1 + RM3_DEFAULTS.fbDocs, 'only the first fbDocs passages count');
  t.ok(
    Object.values(expanded).every((w) => w > 0),
    'every weight is positive (the stores refuse others)',
  );
});
