/**
 * EPUB: the chapters (XHTML) in the order of the package's spine, each through the same
 * HTML extraction as an uploaded page, so their headings become sections.
 */
import { readArchive } from '../archive.ts';
import { decodeText } from '../detect.ts';
import type { TextSink } from '../document.ts';
import { ParseError, type ParseLimits } from '../limits.ts';
import { parseXml, resolvePath } from './xml.ts';

export async function epubToText(
  bytes: Uint8Array,
  limits: ParseLimits,
  sink: TextSink,
  html: (page: string, sink: TextSink) => Promise<void>,
): Promise<void> {
  const parts = await readArchive(bytes, limits, 'The e-book', (name) => /\.(xml|opf|x?html?)$/i.test(name));
  let packagePath: string | undefined;
  const container = parts.get('META-INF/container.xml');
  if (!container) throw new ParseError('The e-book has no META-INF/container.xml');
  parseXml(
    container,
    {
      open(tag) {
        if (tag.name === 'rootfile' && !packagePath) packagePath = tag.attributes['full-path'];
      },
    },
    'The e-book container',
  );
  const opf = packagePath ? parts.get(packagePath) : undefined;
  if (!packagePath || !opf) throw new ParseError('The e-book names no package document');
  if (parts.has('META-INF/encryption.xml')) {
    throw new ParseError('The e-book is encrypted (DRM); only e-books without DRM can be read', 'ENCRYPTED_DOCUMENT');
  }
  const base = packagePath.includes('/') ? packagePath.slice(0, packagePath.lastIndexOf('/')) : '';
  const manifest = new Map<string, string>();
  const spine: string[] = [];
  parseXml(
    opf,
    {
      open(tag) {
        if (tag.name === 'item' && tag.attributes.id && tag.attributes.href) {
          manifest.set(tag.attributes.id, resolvePath(base, decodeURIComponent(tag.attributes.href)));
        } else if (tag.name === 'itemref' && tag.attributes.idref && tag.attributes.linear !== 'no') {
          spine.push(tag.attributes.idref);
        }
      },
    },
    'The e-book package',
  );
  const missing: string[] = [];
  for (const id of spine) {
    const path = manifest.get(id);
    const chapter = path ? parts.get(path) : undefined;
    if (!chapter) {
      missing.push(path ?? id);
      continue;
    }
    const text = decodeText(chapter);
    if (text === null) {
      missing.push(path!);
      continue;
    }
    await html(text, sink);
  }
  if (missing.length > 0) sink.note(`chapters ${missing.slice(0, 5).join(', ')} missing or unreadable`);
}
