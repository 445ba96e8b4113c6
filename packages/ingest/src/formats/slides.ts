/**
 * PowerPoint (.pptx): slides in the order the presentation lists them (not the order of
 * their part names), each with its title, body text, tables (cells joined by " | ") and
 * speaker notes; each slide is one section (`slide: n`).
 */
import { readArchive } from '../archive.ts';
import type { TextSink } from '../document.ts';
import { ParseError, type ParseLimits } from '../limits.ts';
import { refuseCompoundFile } from './office.ts';
import { parseXml, relationships } from './xml.ts';

interface SlideText {
  title: string[];
  body: string[];
}

/** Paragraphs of a slide (or notes) part: title placeholders apart, table rows on one line. */
function slideText(xml: Buffer, what: string): SlideText {
  const out: SlideText = { title: [], body: [] };
  let placeholder = '';
  let paragraph = '';
  let cells: string[] | undefined;
  let cell: string[] | undefined;
  let inText = false;
  let shapeDepth = 0;
  parseXml(
    xml,
    {
      open(tag) {
        if (tag.name === 'sp') {
          shapeDepth++;
          placeholder = '';
        } else if (tag.name === 'ph') placeholder = tag.attributes.type ?? 'body';
        else if (tag.name === 'tr') cells = [];
        else if (tag.name === 'tc') cell = [];
        else if (tag.name === 't') inText = true;
        else if (tag.name === 'br') paragraph += '\n';
      },
      text(text) {
        if (inText) paragraph += text;
      },
      close(name) {
        if (name === 't') inText = false;
        else if (name === 'p') {
          const line = paragraph.trim();
          paragraph = '';
          if (!line) return;
          if (cell) cell.push(line);
          else if (placeholder === 'title' || placeholder === 'ctrTitle') out.title.push(line);
          // Slide numbers, dates and footers are furniture, not content.
          else if (!['sldNum', 'dt', 'ftr', 'hdr'].includes(placeholder)) out.body.push(line);
        } else if (name === 'tc' && cells && cell) {
          cells.push(cell.join(' '));
          cell = undefined;
        } else if (name === 'tr' && cells) {
          out.body.push(cells.join(' | '));
          cells = undefined;
        } else if (name === 'sp') {
          shapeDepth = Math.max(0, shapeDepth - 1);
          placeholder = '';
        }
      },
    },
    what,
  );
  return out;
}

export async function pptxToText(bytes: Uint8Array, limits: ParseLimits, doc: TextSink): Promise<void> {
  refuseCompoundFile(bytes, 'The presentation');
  const parts = await readArchive(bytes, limits, 'The presentation', (name) => name.startsWith('ppt/'));
  const presentation = parts.get('ppt/presentation.xml');
  if (!presentation) throw new ParseError('The presentation has no ppt/presentation.xml');
  const rels = relationships(parts.get('ppt/_rels/presentation.xml.rels'), 'ppt');
  const order: string[] = [];
  parseXml(
    presentation,
    {
      open(tag) {
        if (tag.name === 'sldId' && tag.attributes.id) {
          const path = rels.get(tag.attributes.id);
          if (path) order.push(path);
        }
      },
    },
    'The presentation',
  );
  order.forEach((path, i) => {
    const xml = parts.get(path);
    if (!xml) return;
    const slide = slideText(xml, `Slide ${i + 1}`);
    const hidden = /<p:sld\b[^>]*\bshow="0"/.test(xml.subarray(0, 2048).toString('utf8'));
    const folder = path.slice(0, path.lastIndexOf('/'));
    const name = path.slice(path.lastIndexOf('/') + 1);
    const slideRels = relationships(parts.get(`${folder}/_rels/${name}.rels`), folder);
    const notesPath = [...slideRels.values()].find((target) => target.includes('notesSlides/'));
    const notesXml = notesPath ? parts.get(notesPath) : undefined;
    const notes = notesXml
      ? slideText(notesXml, `The notes of slide ${i + 1}`).body.filter((l) => !/^\d+$/.test(l))
      : [];
    const title = slide.title.join(' — ');
    const lines = [`Slide ${i + 1}${hidden ? ' (hidden slide)' : ''}${title ? `: ${title}` : ''}`, ...slide.body];
    if (notes.length > 0) lines.push(`Speaker notes: ${notes.join('\n')}`);
    doc.add(lines.join('\n'), { slide: i + 1 });
  });
}
