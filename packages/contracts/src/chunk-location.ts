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
