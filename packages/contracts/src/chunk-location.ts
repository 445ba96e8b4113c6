/**
 * Where a chunk sits in its document, as a reader would look for it: a page, a slide, a
 * sheet and its rows, the path of headings above it, or the attachment it came from.
 * Every field is optional (a chunk of plain text has none; documents processed before
 * locations existed have no location at all). Plain TypeScript so the web app can use
 * `describeLocation` too; the TypeBox schema is `ChunkLocationSchema` in chunk-location-schema.ts.
 */
export interface ChunkLocation {
  /** 1-based page; `page_end` when the chunk spans pages. */
  page?: number;
  page_end?: number;
  /** 1-based slide; `slide_end` when the chunk spans slides. */
  slide?: number;
  slide_end?: number;
  sheet?: string;
  /** 1-based row numbers as the sheet shows them (the header is row 1). */
  row_start?: number;
  row_end?: number;
  /** Headings from the outermost to the nearest one above the chunk. */
  headings?: string[];
  /** The attachment (of a mail) or chapter file the chunk came from. */
  part?: string;
}

const range = (from: number, to: number | undefined) => (to !== undefined && to !== from ? `${from}–${to}` : `${from}`);

/** "p. 12", "slide 4", "Sheet1 rows 20–40", "Installation › Upgrading"; '' when there is nothing to say. */
export function describeLocation(location: ChunkLocation | null | undefined): string {
  if (!location) return '';
  const parts: string[] = [];
  if (location.part) parts.push(location.part);
  if (location.page !== undefined) {
    parts.push(
      `${location.page_end && location.page_end !== location.page ? 'pp.' : 'p.'} ${range(location.page, location.page_end)}`,
    );
  }
  if (location.slide !== undefined) {
    parts.push(
      `${location.slide_end && location.slide_end !== location.slide ? 'slides' : 'slide'} ${range(location.slide, location.slide_end)}`,
    );
  }
  if (location.sheet !== undefined || location.row_start !== undefined) {
    const rows =
      location.row_start !== undefined
        ? `${location.row_end !== undefined && location.row_end !== location.row_start ? 'rows' : 'row'} ${range(location.row_start, location.row_end)}`
        : '';
    parts.push([location.sheet, rows].filter(Boolean).join(' '));
  }
  if (location.headings && location.headings.length > 0) parts.push(location.headings.join(' › '));
  return parts.join(' · ');
}

/** A range of the text with its location: a parser's section or a stored chunk. */
export type LocatedRange = readonly [start: number, end: number, location?: ChunkLocation | null];

/**
 * What a reader finds their way by in the viewer: an attachment, a slide, a page, a sheet
 * or a top-level heading — the first of these a location has. `undefined` for text with
 * no such structure (plain text, a mail's own body).
 */
function partLocation(location: ChunkLocation): ChunkLocation | undefined {
  if (location.part !== undefined) return { part: location.part };
  if (location.slide !== undefined)
    return { slide: location.slide, ...(location.slide_end !== undefined ? { slide_end: location.slide_end } : {}) };
  if (location.page !== undefined)
    return { page: location.page, ...(location.page_end !== undefined ? { page_end: location.page_end } : {}) };
  if (location.sheet !== undefined) return { sheet: location.sheet };
  if (location.headings && location.headings.length > 0) return { headings: [location.headings[0]!] };
  return undefined;
}

/**
 * A document's parts (slides, pages, sheets with their row range, attachments, top-level
 * headings), in text order, from its sections (exact: one per slide or page) or, for text
 * stored before parts were, from its chunks (a chunk spanning slides 1–3 is one part).
 * Consecutive ranges of one part merge; at most `max` parts (the rest are dropped).
 */
export function documentParts(ranges: readonly LocatedRange[], max = 5_000): [number, number, ChunkLocation][] {
  const parts: [number, number, ChunkLocation][] = [];
  let key = '';
  for (const [start, end, location] of ranges) {
    const part = location ? partLocation(location) : undefined;
    if (!part) {
      key = '';
      continue;
    }
    const last = parts.at(-1);
    const partKey = JSON.stringify(part);
    if (last && partKey === key) {
      last[1] = Math.max(last[1], end);
    } else {
      if (parts.length >= max) break;
      parts.push([start, end, { ...part }]);
      key = partKey;
    }
    const current = parts.at(-1)![2];
    // A sheet's rows as one range over all its sections or chunks.
    if (current.sheet !== undefined && location?.row_start !== undefined) {
      const rowEnd = location.row_end ?? location.row_start;
      current.row_start = Math.min(current.row_start ?? location.row_start, location.row_start);
      current.row_end = Math.max(current.row_end ?? rowEnd, rowEnd);
    }
  }
  return parts;
}

/** A part's title from its first line: a slide's title, an attachment's name, a sheet's columns, a page's first words. */
export function partTitle(text: string, location: ChunkLocation): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  let title = line;
  if (location.slide !== undefined) title = line.replace(/^Slide \d+:\s*/, '');
  else if (location.part !== undefined) title = line.replace(/^Attachment:\s*/, '');
  else if (location.sheet !== undefined) title = line.replace(/^Sheet .*? — columns: /, '');
  return title.length > 100 ? `${title.slice(0, 99).trimEnd()}…` : title;
}
