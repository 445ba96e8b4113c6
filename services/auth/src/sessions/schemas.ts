/** Payloads of the sign-in routes. */
import { Type } from 'typebox';
import { EmailSchema, NameSchema, PasswordSchema, UserViewSchema } from '../users/schemas.ts';

const RefreshTokenSchema = Type.String({ minLength: 1, maxLength: 200 });

export const LoginBody = Type.Object(
  { email: EmailSchema, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

export const RegisterBody = Type.Object(
  { email: EmailSchema, name: Type.Optional(NameSchema), password: PasswordSchema },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  {
    refresh_token: Type.Optional({
      ...RefreshTokenSchema,
      description: 'API clients send it here; the SPA relies on the httpOnly lumikb_refresh cookie',
    }),
  },
  { additionalProperties: false },
);

export const LogoutBody = Type.Object(
  {
    refresh_token: Type.Optional(RefreshTokenSchema),
    all: Type.Optional(Type.Boolean({ description: 'end every session of the user, on every device' })),
  },
  { additionalProperties: false },
);

const KeptRefreshToken = Type.Optional({
  ...RefreshTokenSchema,
  description:
    "the caller's refresh token, whose session is kept (API clients; the SPA relies on the lumikb_refresh cookie)",
});

export const ChangePasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 1024 }),
    new_password: PasswordSchema,
    refresh_token: KeptRefreshToken,
  },
  { additionalProperties: false },
);

export const EndOtherSessionsBody = Type.Object({ refresh_token: KeptRefreshToken }, { additionalProperties: false });

export const UpdateOwnProfileBody = Type.Object({ name: NameSchema }, { additionalProperties: false });

export const SessionViewSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'the session (refresh-token family); stable across refreshes' }),
  started_at: Type.String({ format: 'date-time', description: 'sign-in' }),
  last_active_at: Type.String({ format: 'date-time', description: 'last refresh' }),
  expires_at: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'the session this request came from (by its refresh token)' }),
});

export const SessionListSchema = Type.Object({ items: Type.Array(SessionViewSchema) });

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ description: 'EdDSA JWT; also set as the httpOnly lumikb_access cookie' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
  expires_at: Type.String({ format: 'date-time' }),
  refresh_token: Type.String({ description: 'single use; also set as the httpOnly lumikb_refresh cookie' }),
  refresh_expires_at: Type.String({ format: 'date-time' }),
  user: UserViewSchema,
});

export const KeptSessionResponseSchema = Type.Object({
  ...TokenResponseSchema.properties,
  sessions_ended: Type.Integer({ description: 'how many other sessions were ended' }),
});
