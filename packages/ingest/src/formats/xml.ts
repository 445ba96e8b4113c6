/**
 * Streaming XML for the parts of office files (saxes: no DTD expansion, no external
 * entities, so an XML part cannot be a bomb of its own). Names are reported without their
 * namespace prefix (`a:t` → `t`): each format's parts use one vocabulary per prefix.
 */
import { SaxesParser } from 'saxes';
import { ParseError } from '../limits.ts';

export interface XmlTag {
  name: string;
  attributes: Record<string, string>;
}

export interface XmlHandlers {
  open?(tag: XmlTag): void;
  text?(text: string): void;
  close?(name: string): void;
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

export function parseXml(xml: Buffer | string, handlers: XmlHandlers, what: string): void {
  const parser = new SaxesParser();
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) attributes[local(key)] = String(value);
    handlers.open?.({ name: local(tag.name), attributes });
    if (tag.isSelfClosing) handlers.close?.(local(tag.name));
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) handlers.close?.(local(tag.name));
  });
  if (handlers.text) {
    const onText = handlers.text;
    parser.on('text', onText);
    parser.on('cdata', onText);
  }
  try {
    parser.write(typeof xml === 'string' ? xml : xml.toString('utf8')).close();
  } catch (error) {
    throw new ParseError(`${what} cannot be read: ${(error as Error).message}`);
  }
}

/** The `Id → Target` map of an OOXML relationships part, targets resolved against `base` (a folder). */
export function relationships(xml: Buffer | undefined, base: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!xml) return map;
  parseXml(
    xml,
    {
      open(tag) {
        if (tag.name === 'Relationship' && tag.attributes.Id && tag.attributes.Target) {
          map.set(tag.attributes.Id, resolvePath(base, tag.attributes.Target));
        }
      },
    },
    'A relationships part',
  );
  return map;
}

/** `xl/` + `worksheets/sheet1.xml` → `xl/worksheets/sheet1.xml`; `/xl/…` is absolute; `..` climbs. */
export function resolvePath(base: string, target: string): string {
  const parts = target.startsWith('/') ? [] : base.split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}
