/**
 * E-mail (.eml, RFC 5322) through postal-mime: the headers a reader looks for (from, to,
 * date, subject), the text body (or the HTML one), then each attachment of a supported
 * type as a part of the same document (`part: "report.pdf"`). Mails inside mails are
 * parts too, down to `maxAttachmentDepth`; an .eml attached to itself stops there, and
 * at most `maxAttachments` attachments are read in all.
 */
import type { DocumentFormat } from '@lumikb/contracts';
import PostalMime from 'postal-mime';
import { detectFormat } from '../detect.ts';
import { type TextSink, withLocation } from '../document.ts';
import { ParseError, ParseLimitError, type ParseLimits } from '../limits.ts';

type Extract = (
  sink: TextSink,
  bytes: Uint8Array,
  format: DocumentFormat,
  limits: ParseLimits,
  depth: number,
) => Promise<void>;

/** Attachments read so far, per top-level document (the budget covers every level). */
const counted = new WeakMap<ParseLimits, { n: number }>();

const addressList = (list: { name?: string; address?: string }[] | undefined) =>
  (list ?? []).map((a) => (a.name && a.address ? `${a.name} <${a.address}>` : (a.address ?? a.name ?? ''))).join(', ');

export async function mailToText(
  raw: string,
  limits: ParseLimits,
  sink: TextSink,
  depth: number,
  html: (page: string, sink: TextSink) => Promise<void>,
  extract: Extract,
): Promise<void> {
  let email: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    email = await PostalMime.parse(raw, {
      // Attached mails are our parts (with our depth limit), not inlined by the parser.
      forceRfc822Attachments: true,
      maxNestingDepth: 50,
      maxHeadersSize: 256 * 1024,
    });
  } catch (error) {
    throw new ParseError(`The mail cannot be read: ${(error as Error).message}`);
  }
  const headers = [
    `From: ${addressList(email.from ? [email.from] : [])}`,
    `To: ${addressList(email.to)}`,
    ...(email.cc?.length ? [`Cc: ${addressList(email.cc)}`] : []),
    `Date: ${email.date ?? ''}`,
    `Subject: ${email.subject ?? ''}`,
  ];
  sink.add(headers.join('\n'));
  if (email.text?.trim()) sink.add(email.text);
  else if (email.html) await html(email.html, sink);

  // The same limits object serves many documents in one process: a top-level mail starts over.
  const budget = (depth === 0 ? undefined : counted.get(limits)) ?? { n: 0 };
  counted.set(limits, budget);
  const skipped: string[] = [];
  for (const attachment of email.attachments) {
    const name =
      attachment.filename ?? (attachment.mimeType === 'message/rfc822' ? 'attached message.eml' : 'attachment');
    const content =
      typeof attachment.content === 'string'
        ? Buffer.from(attachment.content)
        : new Uint8Array(attachment.content as ArrayBuffer);
    const detected = detectFormat(
      content,
      attachment.mimeType === 'message/rfc822' && !/\.eml$/i.test(name) ? `${name}.eml` : name,
    );
    if (!detected.ok) {
      skipped.push(`${name} (not a supported type)`);
      continue;
    }
    if (depth + 1 > limits.maxAttachmentDepth) {
      skipped.push(`${name} (attachments nested deeper than ${limits.maxAttachmentDepth} levels)`);
      continue;
    }
    if (++budget.n > limits.maxAttachments) {
      throw new ParseLimitError('attachments', budget.n, limits.maxAttachments, { atLeast: true });
    }
    const part = withLocation(sink, { part: name });
    part.add(`Attachment: ${name}`);
    try {
      await extract(part, content, detected.format, limits, depth + 1);
    } catch (error) {
      // A limit is the whole document's; an unreadable attachment is only itself.
      if (error instanceof ParseLimitError || !(error instanceof ParseError)) throw error;
      skipped.push(`${name} (${error.message})`);
    }
  }
  if (skipped.length > 0) sink.note(`attachments ${skipped.join(', ')}`);
}
