/**
 * Permission levels and the access classes every route must declare. A route that
 * declares none is refused at start-up by the service kit.
 */
export const PermissionLevel = { USER: 1, OPERATOR: 2, ADMIN: 3 } as const;
export type PermissionLevel = (typeof PermissionLevel)[keyof typeof PermissionLevel];

/** `public`: anyone; `user`/`operator`/`admin`: signed-in at that level or above; `service`: service identities only. */
export type RouteAccess = 'public' | 'user' | 'operator' | 'admin' | 'service';

export const ACCESS_LEVEL: Record<Exclude<RouteAccess, 'public' | 'service'>, PermissionLevel> = {
  user: PermissionLevel.USER,
  operator: PermissionLevel.OPERATOR,
  admin: PermissionLevel.ADMIN,
};

/** Claims carried by access tokens issued by the auth service. */
export interface AccessTokenClaims {
  sub: string;
  typ: 'access' | 'service';
  email?: string;
  lvl: number;
  groups: string[];
  /** Service identity name (e.g. `proxy-sync`) when typ is `service`. */
  svc?: string;
}

/**
 * Every token auth issues names auth as its issuer and the platform as its audience, and
 * every verifier requires both: a token signed for another purpose or system with the
 * same key (a shared test key, a future token type) is not accepted as a LumiKB one.
 */
export const TOKEN_ISSUER = 'lumikb-auth';
export const TOKEN_AUDIENCE = 'lumikb';
