/**
 * Tables (CSV, TSV, XLSX) as text a reader and a retriever can use: every row keeps its
 * column names ("Region: EMEA; Revenue: 1.2M"), each sheet starts with its header, and
 * every row is one section (sheet + row number), so chunks are row ranges that never
 * split a row. What cannot be read soundly (rows with more cells than the header, rows
 * with broken bytes, formulas without a cached value) is skipped and said so.
 */
import type { ChunkLocation } from '@lumikb/contracts';
import { parse as parseCsv } from 'csv-parse/sync';
import { readArchive } from '../archive.ts';
import { decodeText } from '../detect.ts';
import type { TextSink } from '../document.ts';
import { ParseError, ParseLimitError, type ParseLimits } from '../limits.ts';
import { refuseCompoundFile } from './office.ts';
import { parseXml, relationships } from './xml.ts';

/** "rows 3, 7, 9" — at most a handful listed, then "and N more". */
function listRows(rows: number[]): string {
  const shown = rows.slice(0, 10).join(', ');
  return rows.length > 10 ? `${shown} and ${rows.length - 10} more` : shown;
}

interface Sheet {
  name?: string;
  hidden?: boolean;
}

/** Adds one table: `rows[0]` is its header; `numbers[i]` is the row number of `rows[i]` as the sheet shows it. */
function addTable(doc: TextSink, sheet: Sheet, rows: string[][], numbers: number[]): void {
  const header = (rows[0] ?? []).map((name, i) => name.trim() || `column ${i + 1}`);
  const at = (row: number): ChunkLocation => ({
    ...(sheet.name !== undefined ? { sheet: sheet.name } : {}),
    row_start: row,
    row_end: row,
  });
  const title = sheet.name !== undefined ? `Sheet ${sheet.name}${sheet.hidden ? ' (hidden sheet)' : ''}` : 'Table';
  doc.add(`${title} — columns: ${header.join(', ')}`, at(numbers[0] ?? 1));
  const tooWide: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const cells = rows[i]!;
    if (cells.length > header.length && cells.slice(header.length).some((c) => c.trim() !== '')) {
      tooWide.push(numbers[i]!);
      continue;
    }
    const line = cells
      .map((value, c) => [header[c], value.trim()] as const)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}: ${value}`)
      .join('; ');
    doc.add(line, at(numbers[i]!), '\n');
  }
  if (tooWide.length > 0) {
    const where = sheet.name !== undefined ? ` of sheet ${sheet.name}` : '';
    doc.note(`rows ${listRows(tooWide)}${where} skipped: more cells than the header has columns`);
  }
}

export function delimitedToText(bytes: Uint8Array, delimiter: ',' | '\t', doc: TextSink): void {
  const text = decodeText(bytes, { lenient: true });
  if (text === null) throw new ParseError('The file is not text');
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      // Bounded fields: one unterminated quote must not swallow the rest of the file silently.
      max_record_size: 1024 * 1024,
    });
  } catch (error) {
    throw new ParseError(`The table cannot be read: ${(error as Error).message}`);
  }
  const broken: number[] = [];
  const rows: string[][] = [];
  const numbers: number[] = [];
  records.forEach((record, i) => {
    // Bytes that are not valid text: the row cannot be trusted, the rest of the table can.
    if (record.some((cell) => cell.includes('\uFFFD'))) broken.push(i + 1);
    else {
      rows.push(record);
      numbers.push(i + 1);
    }
  });
  addTable(doc, {}, rows, numbers);
  if (broken.length > 0) doc.note(`rows ${listRows(broken)} skipped: not valid UTF-8 text`);
}

/** `B12` → column 1 (0-based). */
function columnOf(ref: string | undefined, fallback: number): number {
  const letters = /^[A-Z]+/.exec(ref ?? '')?.[0];
  if (!letters) return fallback;
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export async function xlsxToText(bytes: Uint8Array, limits: ParseLimits, doc: TextSink): Promise<void> {
  refuseCompoundFile(bytes, 'The workbook');
  const parts = await readArchive(
    bytes,
    limits,
    'The workbook',
    (name) => (name.startsWith('xl/') && name.endsWith('.xml')) || name.endsWith('.rels'),
  );
  const workbook = parts.get('xl/workbook.xml');
  if (!workbook) throw new ParseError('The workbook has no xl/workbook.xml');
  const rels = relationships(parts.get('xl/_rels/workbook.xml.rels'), 'xl');
  const sheets: { name: string; hidden: boolean; path: string | undefined }[] = [];
  parseXml(
    workbook,
    {
      open(tag) {
        if (tag.name !== 'sheet') return;
        const state = tag.attributes.state;
        sheets.push({
          name: tag.attributes.name ?? `Sheet${sheets.length + 1}`,
          hidden: state === 'hidden' || state === 'veryHidden',
          path: rels.get(tag.attributes.id ?? ''),
        });
      },
    },
    'The workbook',
  );
  const shared = sharedStrings(parts.get('xl/sharedStrings.xml'));
  const noCachedValue: string[] = [];
  for (const sheet of sheets) {
    const xml = sheet.path ? parts.get(sheet.path) : undefined;
    if (!xml) {
      doc.note(`sheet ${sheet.name} skipped: its part is missing`);
      continue;
    }
    const { rows, numbers, formulasWithoutValue } = sheetRows(xml, shared, limits);
    if (formulasWithoutValue > 0) noCachedValue.push(`${formulasWithoutValue} in ${sheet.name}`);
    if (rows.length === 0) continue;
    addTable(doc, sheet, rows, numbers);
  }
  if (noCachedValue.length > 0) {
    doc.note(
      `formulas without a saved value (open and save the file in a spreadsheet app): ${noCachedValue.join(', ')}`,
    );
  }
}

function sharedStrings(xml: Buffer | undefined): string[] {
  const strings: string[] = [];
  if (!xml) return strings;
  let current: string[] | undefined;
  let inText = false;
  // Phonetic runs (<rPh>) repeat the text in another script: not part of the value.
  let inPhonetic = false;
  parseXml(
    xml,
    {
      open(tag) {
        if (tag.name === 'si') current = [];
        else if (tag.name === 'rPh') inPhonetic = true;
        else if (tag.name === 't' && !inPhonetic) inText = true;
      },
      text(text) {
        if (inText) current?.push(text);
      },
      close(name) {
        if (name === 't') inText = false;
        else if (name === 'rPh') inPhonetic = false;
        else if (name === 'si') {
          strings.push((current ?? []).join(''));
          current = undefined;
        }
      },
    },
    'The shared strings of the workbook',
  );
  return strings;
}

function sheetRows(xml: Buffer, shared: string[], limits: ParseLimits) {
  const rows: string[][] = [];
  const numbers: number[] = [];
  let row: string[] | undefined;
  let cellType = '';
  let column = 0;
  let value = '';
  let hasFormula = false;
  let hasValue = false;
  let collecting = false;
  let formulasWithoutValue = 0;
  let chars = 0;
  parseXml(
    xml,
    {
      open(tag) {
        if (tag.name === 'row') {
          row = [];
          numbers.push(Number(tag.attributes.r) || rows.length + 1);
        } else if (tag.name === 'c' && row) {
          cellType = tag.attributes.t ?? 'n';
          column = columnOf(tag.attributes.r, row.length);
          value = '';
          hasFormula = false;
          hasValue = false;
        } else if (tag.name === 'f') hasFormula = true;
        // A formula's cached result is its <v>; an inline string's text is in <is><t>.
        else if (tag.name === 'v' || (tag.name === 't' && cellType === 'inlineStr')) {
          collecting = true;
          hasValue = true;
        }
      },
      text(text) {
        if (!collecting) return;
        value += text;
        chars += text.length;
        if (chars > limits.maxTextChars) {
          throw new ParseLimitError('text_chars', chars, limits.maxTextChars, { atLeast: true });
        }
      },
      close(name) {
        if (name === 'v' || name === 't') collecting = false;
        else if (name === 'c' && row) {
          if (hasFormula && !hasValue) formulasWithoutValue++;
          let shown = value;
          if (cellType === 's') shown = shared[Number(value)] ?? '';
          else if (cellType === 'b') shown = value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
          // A sheet may skip empty cells; keep the columns where the header put them.
          while (row.length < column) row.push('');
          row[column] = shown;
        } else if (name === 'row' && row) {
          rows.push(row);
          row = undefined;
        }
      },
    },
    'A worksheet',
  );
  return { rows, numbers, formulasWithoutValue };
}
