/**
 * Recognises errors caused by the request's content that only surface below the schema:
 * values Postgres refuses (NUL bytes in text, numbers beyond bigint, strings too long
 * for an index) and multipart bodies busboy cannot parse. They are the client's fault,
 * so they answer 400 with a stable code instead of 500.
 */

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
}

/**
 * SQLSTATE class 22 (data exception: invalid text representation, numeric value out of
 * range, NUL in text, untranslatable character) and 54000 (a value too big for an index
 * row) can only come from values a client sent: our own queries never build them.
 */
function isInputSqlState(code: string): boolean {
  return code.startsWith('22') || code === '54000';
}

/** A message fit for the client (the raw Postgres message could echo internals). */
export function invalidInputReason(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as ErrorLike;
  if (typeof e.severity !== 'string' || typeof e.code !== 'string' || !isInputSqlState(e.code)) return undefined;
  switch (e.code) {
    case '22003':
      return 'A number in the request is out of range';
    case '22021':
    case '22P05':
      return 'Text in the request contains a NUL byte or an invalid character';
    case '22001':
    case '54000':
      return 'A value in the request is too long';
    default:
      return 'A value in the request is not valid';
  }
}

const MULTIPART_CODES = new Set([
  'FST_MP_PREMATURE_CLOSE',
  'FST_INVALID_MULTIPART_CONTENT_TYPE',
  'FST_PROTO_VIOLATION',
  'FST_INVALID_JSON_FIELD_ERROR',
]);

/** busboy's parse errors carry no code; these are the messages it raises. */
const MULTIPART_MESSAGES = [
  'Multipart: Boundary not found',
  'Boundary required',
  'Unexpected end of multipart data',
  'terminated early due to unexpected end of multipart data',
  'Malformed part header',
  'Overflow.',
];

export function malformedMultipartReason(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    (typeof e.code === 'string' && MULTIPART_CODES.has(e.code)) ||
    MULTIPART_MESSAGES.some((m) => message.includes(m))
  ) {
    return 'The multipart body is malformed or incomplete';
  }
  return undefined;
}
