/**
 * OpenDocument text (.odt): headings (`text:h` with their outline level) make the
 * sections, paragraphs and list items their text, table rows one line of " | "-joined cells.
 */
import { readArchive } from '../archive.ts';
import type { TextSink } from '../document.ts';
import { ParseError, type ParseLimits } from '../limits.ts';
import { Outline } from './outline.ts';
import { parseXml } from './xml.ts';

export async function odtToText(bytes: Uint8Array, limits: ParseLimits, sink: TextSink): Promise<void> {
  const parts = await readArchive(
    bytes,
    limits,
    'The OpenDocument text',
    (name) => name === 'content.xml' || name === 'META-INF/manifest.xml',
  );
  // An encrypted package keeps its manifest readable and says how each part is encrypted.
  if (parts.get('META-INF/manifest.xml')?.includes('encryption-data')) {
    throw new ParseError(
      'The OpenDocument text is password-protected; remove the password and upload it again',
      'ENCRYPTED_DOCUMENT',
    );
  }
  const content = parts.get('content.xml');
  if (!content) throw new ParseError('The OpenDocument text has no content.xml');
  const outline = new Outline(sink);
  let heading: { level: number; text: string } | undefined;
  let paragraph: string | undefined;
  let cells: string[] | undefined;
  let cell: string[] | undefined;
  // Paragraphs nest (a note's paragraphs inside a paragraph): only the outermost is a line.
  let depth = 0;
  const append = (text: string) => {
    if (heading) heading.text += text;
    else if (paragraph !== undefined) paragraph += text;
  };
  parseXml(
    content,
    {
      open(tag) {
        if (tag.name === 'h') heading = { level: Number(tag.attributes['outline-level']) || 1, text: '' };
        else if (tag.name === 'p') {
          if (depth++ === 0) paragraph = '';
        } else if (tag.name === 'table-row') cells = [];
        else if (tag.name === 'table-cell') cell = [];
        else if (tag.name === 's') append(' '.repeat(Number(tag.attributes.c) || 1));
        else if (tag.name === 'tab') append('\t');
        else if (tag.name === 'line-break') append('\n');
      },
      text: append,
      close(name) {
        if (name === 'h' && heading) {
          outline.heading(heading.level, heading.text);
          heading = undefined;
        } else if (name === 'p' && --depth === 0 && paragraph !== undefined) {
          const text = paragraph.trim();
          paragraph = undefined;
          if (!text) return;
          if (cell) cell.push(text);
          else outline.text(`${text}\n\n`);
        } else if (name === 'table-cell' && cells && cell) {
          cells.push(cell.join(' '));
          cell = undefined;
        } else if (name === 'table-row' && cells) {
          outline.text(`${cells.join(' | ')}\n`);
          cells = undefined;
        }
      },
    },
    'The OpenDocument text',
  );
  outline.flush();
}
