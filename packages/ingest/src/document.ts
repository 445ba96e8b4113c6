/**
 * What extraction yields: the document's text plus its structure — sections of that text
 * with the location a reader would look for (page, slide, sheet and rows, heading path,
 * attachment) — and notes on what could not be read. Parsers add pieces one by one; each
 * is normalised on its own, so section offsets point into the final text exactly.
 */
import type { ChunkLocation } from '@lumikb/contracts';
import { ParseLimitError, type ParseLimits } from './limits.ts';

export interface Section {
  start: number;
  end: number;
  location: ChunkLocation;
}

export interface ExtractedDocument {
  text: string;
  /** In text order, not overlapping; empty for text without structure. */
  sections: Section[];
  /** What was skipped or could not be read ("rows 7, 9 skipped: …"); also the text's last paragraph. */
  notes: string[];
}

/** Where parsers put their text: a document, or a part of one (an attachment) with its base location. */
export interface TextSink {
  add(raw: string, location?: ChunkLocation, joiner?: string): void;
  note(message: string): void;
}

/** A sink whose locations all carry `base` (an attachment's name, say) under their own fields. */
export function withLocation(sink: TextSink, base: ChunkLocation): TextSink {
  return {
    add: (raw, location, joiner) => {
      // A part of a part reads "outer.eml › report.pdf".
      const part = location?.part && base.part ? `${base.part} › ${location.part}` : (location?.part ?? base.part);
      sink.add(raw, { ...base, ...location, ...(part ? { part } : {}) }, joiner);
    },
    note: (message) => sink.note(base.part ? `${message} (in ${base.part})` : message),
  };
}

export function normaliseText(raw: string): string {
  return raw
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replaceAll('\u0000', '')
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export class DocumentBuilder implements TextSink {
  private readonly parts: string[] = [];
  private readonly sections: Section[] = [];
  private readonly notes: string[] = [];
  private length = 0;

  constructor(private readonly limits: Pick<ParseLimits, 'maxTextChars'>) {}

  /**
   * Appends a piece of text (normalised; nothing when empty). `joiner` separates it from
   * the previous piece: a blank line between blocks, a newline between rows of a table.
   */
  add(raw: string, location?: ChunkLocation, joiner = '\n\n'): void {
    // Checked before normalising: the regular expressions are the costly part.
    if (this.length + raw.length > this.limits.maxTextChars * 2) {
      throw new ParseLimitError('text_chars', this.length + raw.length, this.limits.maxTextChars, { atLeast: true });
    }
    const text = normaliseText(raw);
    if (text.length === 0) return;
    if (this.parts.length > 0) {
      this.parts.push(joiner);
      this.length += joiner.length;
    }
    const start = this.length;
    this.parts.push(text);
    this.length += text.length;
    if (this.length > this.limits.maxTextChars) {
      throw new ParseLimitError('text_chars', this.length, this.limits.maxTextChars, { atLeast: true });
    }
    if (location && Object.keys(location).length > 0) this.sections.push({ start, end: this.length, location });
  }

  note(message: string): void {
    this.notes.push(message);
  }

  get characters(): number {
    return this.length;
  }

  build(): ExtractedDocument {
    if (this.notes.length > 0 && this.length > 0) {
      // The reader of the document (and of a citation) should see what was left out.
      const text = `Not read from this file: ${this.notes.join('; ')}.`;
      this.parts.push('\n\n', text);
      this.length += text.length + 2;
    }
    return { text: this.parts.join(''), sections: this.sections, notes: this.notes };
  }
}
