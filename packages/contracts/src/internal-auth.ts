/**
 * Auth's internal HTTP API, as one contract: the route that hands services their identity
 * token. Auth uses these schemas as its route schemas; every service's token source
 * (`createServiceTokenSource` in service-kit) checks auth's answer against them. It is the
 * one internal call made without a service token (it is how a service gets one), so it
 * cannot go through the internal client; it shares the contract all the same.
 */
import { type Static, Type } from 'typebox';

export const INTERNAL_AUTH_PATHS = {
  /** POST, with the shared client secret in `x-service-secret`: a short-lived service token. */
  serviceToken: '/internal/service-token',
} as const;

export const ServiceTokenRequestSchema = Type.Object(
  {
    service: Type.String({
      pattern: '^[a-z][a-z0-9-]{1,62}$',
      description: 'the calling service, e.g. proxy-sync; becomes the svc claim',
    }),
  },
  { additionalProperties: false },
);
export type ServiceTokenRequest = Static<typeof ServiceTokenRequestSchema>;

export const ServiceTokenResponseSchema = Type.Object({
  access_token: Type.String({ minLength: 1 }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ minimum: 1, description: 'seconds' }),
  expires_at: Type.String({ format: 'date-time' }),
});
export type ServiceTokenResponse = Static<typeof ServiceTokenResponseSchema>;
