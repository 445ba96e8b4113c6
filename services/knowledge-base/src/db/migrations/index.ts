import type { MigrationSet } from '@lumikb/db';
import * as init from './0001-init.ts';
import * as knowledgeBases from './0002-knowledge-bases.ts';
import * as idempotencyKeys from './0003-idempotency-keys.ts';
import * as uniqueDocumentContent from './0004-unique-document-content.ts';
import * as largeObjectBlobs from './0005-large-object-blobs.ts';
import * as conversations from './0006-conversations.ts';
import * as documentParts from './0007-document-parts.ts';
import * as lexicalBackfill from './0008-lexical-backfill.ts';

/** Ordered by name; never rename or edit a migration that has shipped. */
export const migrations: MigrationSet = {
  '0001-init': init,
  '0002-knowledge-bases': knowledgeBases,
  '0003-idempotency-keys': idempotencyKeys,
  '0004-unique-document-content': uniqueDocumentContent,
  '0005-large-object-blobs': largeObjectBlobs,
  '0006-conversations': conversations,
  '0007-document-parts': documentParts,
  '0008-lexical-backfill': lexicalBackfill,
};
