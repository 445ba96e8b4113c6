/** `/api/v1/auth/*`: sign-in, refresh, sign-out, the current user, registration, own password. */
import { caller, errorResponses, eventContextOf, type ServiceApp } from '@lumikb/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { errors } from '../errors.ts';
import { toUserView, UserViewSchema } from '../users/schemas.ts';
import { createUser, getUser, updateProfile } from '../users/service.ts';
import { clearSessionCookies, REFRESH_COOKIE, setSessionCookies } from './cookies.ts';
import {
  ChangePasswordBody,
  EndOtherSessionsBody,
  KeptSessionResponseSchema,
  LoginBody,
  LogoutBody,
  RefreshBody,
  RegisterBody,
  SessionListSchema,
  TokenResponseSchema,
  UpdateOwnProfileBody,
} from './schemas.ts';
import {
  changeOwnPassword,
  endOtherSessions,
  type KeptSession,
  listSessions,
  login,
  logout,
  refresh,
  type Session,
  type SessionDeps,
} from './service.ts';

const TAGS = ['auth'];

/** The SPA refreshes and signs out with its cookies alone, sending no body at all. */
const emptyBodyIsEmptyObject = async (request: FastifyRequest) => {
  request.body ??= {};
};

const clientOf = (request: FastifyRequest) => ({
  ip: request.ip,
  ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
});

const tokenBody = (session: Session) => ({
  access_token: session.access.token,
  token_type: 'Bearer' as const,
  expires_in: session.access.expiresIn,
  expires_at: session.access.expiresAt.toISOString(),
  refresh_token: session.refresh.token,
  refresh_expires_at: session.refresh.expiresAt.toISOString(),
  user: toUserView(session.user),
});

const keptBody = (session: KeptSession) => ({ ...tokenBody(session), sessions_ended: session.sessionsEnded });

export function registerSessionRoutes(app: ServiceApp, deps: SessionDeps & { config: Config }): void {
  const { config } = deps;

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: TAGS,
        summary: 'Sign in with email and password',
        description:
          'Sets the httpOnly lumikb_access and lumikb_refresh cookies and returns the same tokens for API ' +
          'clients. Too many attempts for one account from one address (or from one address overall) are refused ' +
          'with 429 LOGIN_THROTTLED and Retry-After. A deactivated account answers 401 INVALID_CREDENTIALS.',
        body: LoginBody,
        response: { 200: TokenResponseSchema, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const session = await login(deps, request.body, clientOf(request), eventContextOf(request));
      setSessionCookies(request, reply, session, config);
      return tokenBody(session);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { access: 'public' },
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: TAGS,
        summary: 'Exchange a refresh token for a new access and refresh token',
        description:
          'Each refresh token works once. Presenting one that was already exchanged revokes the whole session ' +
          '(401 REFRESH_TOKEN_REUSED).',
        body: RefreshBody,
        response: { 200: TokenResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const token = request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
      if (!token) throw errors.REFRESH_TOKEN_MISSING('No refresh token in the body or the lumikb_refresh cookie');
      try {
        const session = await refresh(deps, token, clientOf(request), eventContextOf(request));
        setSessionCookies(request, reply, session, config);
        return tokenBody(session);
      } catch (error) {
        clearSessionCookies(request, reply, config);
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: 'user' },
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: TAGS,
        summary: 'Sign out: revoke this session (or all of them) and clear the cookies',
        body: LogoutBody,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const refreshToken = request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
      await logout(
        deps,
        caller(request).sub,
        { ...(refreshToken ? { refreshToken } : {}), ...(request.body?.all ? { all: true } : {}) },
        clientOf(request),
        eventContextOf(request),
      );
      clearSessionCookies(request, reply, config);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { access: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The signed-in user, their groups and effective permission level',
        response: { 200: UserViewSchema, ...errorResponses(401) },
      },
    },
    async (request) => toUserView(await getUser(deps.db, caller(request).sub)),
  );

  app.patch(
    '/api/v1/auth/me',
    {
      config: { access: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Change your own display name (audited as user.update by yourself)',
        body: UpdateOwnProfileBody,
        response: { 200: UserViewSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      toUserView(
        await updateProfile(deps.db, caller(request).sub, { name: request.body.name }, eventContextOf(request)),
      ),
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { access: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Change your own password; every other session ends, this one goes on with new tokens',
        description:
          'The current password is required. All access tokens issued before the change are void and every other ' +
          "session's refresh token is revoked; the caller's session (its refresh token from the body or the " +
          'lumikb_refresh cookie) is renewed: new tokens in the response and the cookies.',
        body: ChangePasswordBody,
        response: { 200: KeptSessionResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const refreshToken = request.body.refresh_token ?? request.cookies[REFRESH_COOKIE];
      const session = await changeOwnPassword(
        deps,
        caller(request).sub,
        {
          currentPassword: request.body.current_password,
          newPassword: request.body.new_password,
          ...(refreshToken ? { refreshToken } : {}),
        },
        clientOf(request),
        eventContextOf(request),
      );
      setSessionCookies(request, reply, session, config);
      return keptBody(session);
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      config: { access: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Your active sessions (devices signed in), the latest activity first',
        response: { 200: SessionListSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const sessions = await listSessions(deps, caller(request).sub, request.cookies[REFRESH_COOKIE]);
      return {
        items: sessions.map((s) => ({
          id: s.familyId,
          started_at: s.startedAt.toISOString(),
          last_active_at: s.lastActiveAt.toISOString(),
          expires_at: s.expiresAt.toISOString(),
          ip: s.ip,
          user_agent: s.userAgent,
          current: s.current,
        })),
      };
    },
  );

  app.post(
    '/api/v1/auth/sessions/end-others',
    {
      config: { access: 'user' },
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: TAGS,
        summary: 'Sign out everywhere else; this session goes on with new tokens',
        body: EndOtherSessionsBody,
        response: { 200: KeptSessionResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const refreshToken = request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
      const session = await endOtherSessions(
        deps,
        caller(request).sub,
        refreshToken,
        clientOf(request),
        eventContextOf(request),
      );
      setSessionCookies(request, reply, session, config);
      return keptBody(session);
    },
  );

  app.post(
    '/api/v1/auth/register',
    {
      config: { access: 'public' },
      // Refused before the body is validated: when registration is off, nothing else matters.
      onRequest: async () => {
        if (!config.SELF_REGISTRATION) {
          throw errors.REGISTRATION_DISABLED('Self-registration is turned off; ask an administrator for an account');
        }
      },
      schema: {
        tags: TAGS,
        summary: 'Create your own account (only when SELF_REGISTRATION is on)',
        description: 'New accounts join the Users group (level 1). 403 REGISTRATION_DISABLED when turned off.',
        body: RegisterBody,
        response: { 201: UserViewSchema, ...errorResponses(400, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await createUser(
        deps.db,
        { email: request.body.email, password: request.body.password, ...nameOf(request.body.name) },
        eventContextOf(request),
        'auth.register',
      );
      return reply.status(201).send(toUserView(user));
    },
  );
}

const nameOf = (name: string | undefined) => (name !== undefined ? { name } : {});
