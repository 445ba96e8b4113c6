/**
 * The JSON body parser of every service: Fastify's own (prototype-poisoning safe), behind
 * a nesting-depth check. A body of 100,000 `[` is small but makes recursive code (schema
 * validation, serialisation, jsonb) blow the stack; no LumiKB payload nests deeper than a
 * few levels.
 */
import type { FastifyInstance } from 'fastify';
import { kitErrors } from './errors.ts';

export const MAX_JSON_DEPTH = 32;

/** Deepest nesting of arrays/objects in a JSON text, stopping once past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function installJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, maxDepth)) {
      done(kitErrors.INVALID_JSON(`JSON nesting is deeper than ${maxDepth} levels`), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
