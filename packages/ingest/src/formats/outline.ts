/**
 * Text under headings: a section per heading, located by its heading path
 * ("Installation › Upgrading"), so chunks of a manual say where they are.
 */
import type { ChunkLocation } from '@lumikb/contracts';
import type { TextSink } from '../document.ts';

const MAX_HEADING_CHARS = 200;
const MAX_DEPTH = 6;

export class Outline {
  private path: string[] = [];
  private buffer = '';

  constructor(
    private readonly sink: TextSink,
    /** Cleans a section's raw text before it is added (HTML's whitespace rules, for example). */
    private readonly clean: (raw: string) => string = (raw) => raw,
  ) {}

  /** A heading of `level` (1 = outermost) ends the current section and starts the next; `shown` is its line in the text. */
  heading(level: number, text: string, shown?: string): void {
    this.flush();
    const title = text.replace(/\s+/g, ' ').trim().slice(0, MAX_HEADING_CHARS);
    if (!title) return;
    const depth = Math.min(Math.max(1, level), MAX_DEPTH);
    this.path = [...this.path.slice(0, depth - 1), title];
    this.buffer = `${shown ?? title}\n`;
  }

  text(raw: string): void {
    this.buffer += raw;
  }

  flush(): void {
    const text = this.clean(this.buffer);
    this.buffer = '';
    const location: ChunkLocation = this.path.length > 0 ? { headings: [...this.path] } : {};
    this.sink.add(text, location);
  }
}
