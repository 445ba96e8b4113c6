/**
 * Citation markers renumbered in order of first use, as an answer streams: the passages
 * are numbered by retrieval rank when the model sees them, so an answer citing the fourth
 * passage first would show [4], [2], [5]. Rewritten, it shows [1], [2], [3], and the
 * sources list (in `order`) follows the answer with no gaps.
 */
const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;
/** A marker that may be cut between two chunks of the stream ("… [" then "4] …"). */
const OPEN_MARKER = /\[[\d,\s]{0,16}$/;

export class CitationRenumberer {
  /** The passages' original numbers (1-based), in the order the answer first cites them. */
  readonly order: number[] = [];
  #pending = '';

  /** `count`: how many passages the markers may refer to; others are left as written. */
  constructor(private readonly count: number) {}

  /** The text of the next chunk as far as it can be rewritten (a cut marker waits for the rest). */
  push(text: string): string {
    const all = this.#pending + text;
    const open = OPEN_MARKER.exec(all);
    this.#pending = open ? all.slice(open.index) : '';
    return this.#rewrite(open ? all.slice(0, open.index) : all);
  }

  /** Whatever was held back, at the end of the stream (or when it fails). */
  end(): string {
    const rest = this.#rewrite(this.#pending);
    this.#pending = '';
    return rest;
  }

  #rewrite(text: string): string {
    return text.replace(MARKER, (whole, list: string) => {
      const numbers = list.split(',').map((n) => Number(n.trim()));
      if (numbers.some((n) => n < 1 || n > this.count)) return whole;
      return `[${numbers.map((n) => this.#renumber(n)).join(', ')}]`;
    });
  }

  #renumber(n: number): number {
    let at = this.order.indexOf(n);
    if (at === -1) at = this.order.push(n) - 1;
    return at + 1;
  }
}

/** A whole answer renumbered (see `CitationRenumberer`). */
export function renumberCitations(text: string, count: number): { text: string; order: number[] } {
  const renumberer = new CitationRenumberer(count);
  const out = renumberer.push(text) + renumberer.end();
  return { text: out, order: renumberer.order };
}
