import { Type } from 'typebox';

const Position = Type.Integer({ minimum: 1 });

/** Schema of `ChunkLocation` (chunk-location.ts): stored with each chunk, returned by search, chat and the viewer. */
export const ChunkLocationSchema = Type.Object(
  {
    page: Type.Optional(Position),
    page_end: Type.Optional(Position),
    slide: Type.Optional(Position),
    slide_end: Type.Optional(Position),
    sheet: Type.Optional(Type.String({ maxLength: 200 })),
    row_start: Type.Optional(Position),
    row_end: Type.Optional(Position),
    headings: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 10 })),
    part: Type.Optional(Type.String({ maxLength: 500 })),
  },
  {
    additionalProperties: false,
    description: 'where the chunk is: page, slide, sheet and rows, heading path, attachment',
  },
);
