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

export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 1024 }), new_password: PasswordSchema },
  { additionalProperties: false },
);

export const TokenResponseSchema = Type.Object({
  access_token: Type.String({ description: 'EdDSA JWT; also set as the httpOnly lumikb_access cookie' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
  expires_at: Type.String({ format: 'date-time' }),
  refresh_token: Type.String({ description: 'single use; also set as the httpOnly lumikb_refresh cookie' }),
  refresh_expires_at: Type.String({ format: 'date-time' }),
  user: UserViewSchema,
});
