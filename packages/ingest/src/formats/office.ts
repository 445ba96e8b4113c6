/** What all zip-based office formats share: encrypted envelopes and budgeted part reading. */
import { isCompoundFile } from '../detect.ts';
import { ParseError } from '../limits.ts';

/**
 * A password-protected docx/xlsx/pptx is not a zip but an OLE compound file holding an
 * `EncryptedPackage` stream (MS-OFFCRYPTO); any other compound file is a legacy format.
 */
export function refuseCompoundFile(bytes: Uint8Array, what: string): void {
  if (!isCompoundFile(bytes)) return;
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw.includes(Buffer.from('EncryptedPackage', 'utf16le'))) {
    throw new ParseError(
      `${what} is password-protected; remove the password and upload it again`,
      'ENCRYPTED_DOCUMENT',
    );
  }
  throw new ParseError(`${what} is in a legacy binary format (.doc/.xls/.ppt); save it in the current format`);
}
