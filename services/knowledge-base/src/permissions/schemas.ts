import { type Static, Type } from 'typebox';
import { KbPermissionSchema } from '../knowledge-bases/schemas.ts';

export const PrincipalTypeSchema = Type.Union([Type.Literal('user'), Type.Literal('group')]);

export const GrantSchema = Type.Object({
  kb_id: Type.String({ format: 'uuid' }),
  principal_type: PrincipalTypeSchema,
  principal_id: Type.String({ format: 'uuid' }),
  permission: KbPermissionSchema,
  granted_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type GrantView = Static<typeof GrantSchema>;

export const GrantListSchema = Type.Object({ items: Type.Array(GrantSchema) });

export const AdminGrantSchema = Type.Object({ ...GrantSchema.properties, kb_name: Type.String() });
export const AdminGrantListSchema = Type.Object({
  items: Type.Array(AdminGrantSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const GrantParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  principalType: PrincipalTypeSchema,
  principalId: Type.String({ format: 'uuid' }),
});

export const GrantBodySchema = Type.Object({ permission: KbPermissionSchema }, { additionalProperties: false });

export const AdminGrantQuery = Type.Object({
  principal_type: Type.Optional(PrincipalTypeSchema),
  principal_id: Type.Optional(Type.String({ format: 'uuid' })),
  kb_id: Type.Optional(Type.String({ format: 'uuid' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
