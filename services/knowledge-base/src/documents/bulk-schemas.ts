/** The body of a bulk upload: one item per file part, in the order sent. */
import { type Static, Type } from 'typebox';
import { DocumentSchema } from './schemas.ts';

export const BulkUploadItemSchema = Type.Object({
  index: Type.Integer({ description: 'position of the file among the file parts, from 0' }),
  filename: Type.String(),
  status: Type.Integer({ description: '201 stored, or the status a single upload of this file would get' }),
  document: Type.Union([DocumentSchema, Type.Null()]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), details: Type.Unknown() }),
    Type.Null(),
  ]),
});
export type BulkUploadItem = Static<typeof BulkUploadItemSchema>;

export const BulkUploadResultSchema = Type.Object({
  created: Type.Integer(),
  failed: Type.Integer(),
  items: Type.Array(BulkUploadItemSchema),
});
