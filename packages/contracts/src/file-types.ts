/**
 * The one list of file types LumiKB accepts: the upload field (web), the API's 415
 * message and the docs all read it. Plain data without schema imports, so the web app
 * can import it (`@lumikb/contracts/file-types`) without pulling TypeBox into its bundle.
 * Besides these, any file whose content is text (UTF-8 or UTF-16) is read as text
 * whatever its name (README.FHS, Makefile, .conf, source code, JSON, YAML, XML).
 */

export const DOCUMENT_FORMATS = [
  'txt',
  'md',
  'html',
  'pdf',
  'docx',
  'csv',
  'tsv',
  'xlsx',
  'pptx',
  'odt',
  'epub',
  'eml',
] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

export interface AcceptedFileType {
  format: DocumentFormat;
  /** What a person calls it ("Excel workbook"). */
  label: string;
  /** Lower-case, without the dot; the first is the usual one. */
  extensions: readonly string[];
  contentType: string;
}

export const ACCEPTED_FILE_TYPES: readonly AcceptedFileType[] = [
  { format: 'txt', label: 'Plain text (any name)', extensions: ['txt', 'text'], contentType: 'text/plain' },
  { format: 'md', label: 'Markdown', extensions: ['md', 'markdown', 'mdown', 'mkd'], contentType: 'text/markdown' },
  { format: 'html', label: 'HTML', extensions: ['html', 'htm', 'xhtml'], contentType: 'text/html' },
  { format: 'pdf', label: 'PDF', extensions: ['pdf'], contentType: 'application/pdf' },
  {
    format: 'docx',
    label: 'Word document',
    extensions: ['docx'],
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  },
  { format: 'csv', label: 'CSV', extensions: ['csv'], contentType: 'text/csv' },
  { format: 'tsv', label: 'TSV', extensions: ['tsv', 'tab'], contentType: 'text/tab-separated-values' },
  {
    format: 'xlsx',
    label: 'Excel workbook',
    extensions: ['xlsx', 'xlsm'],
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  },
  {
    format: 'pptx',
    label: 'PowerPoint presentation',
    extensions: ['pptx'],
    contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  },
  {
    format: 'odt',
    label: 'OpenDocument text',
    extensions: ['odt'],
    contentType: 'application/vnd.oasis.opendocument.text',
  },
  { format: 'epub', label: 'EPUB e-book', extensions: ['epub'], contentType: 'application/epub+zip' },
  { format: 'eml', label: 'E-mail (.eml)', extensions: ['eml'], contentType: 'message/rfc822' },
];

/** Formats whose content is text: the file name picks among them (content cannot). */
export const TEXT_FORMATS: readonly DocumentFormat[] = ['txt', 'md', 'html', 'csv', 'tsv', 'eml'];

/** "txt, md, html, …" — for messages. */
export function acceptedTypesSentence(): string {
  const names = ACCEPTED_FILE_TYPES.map((t) => t.extensions[0]);
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}, and any text file whatever its name`;
}
