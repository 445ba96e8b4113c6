/** The httpOnly, SameSite=Strict session cookies the SPA uses instead of handling tokens. */
import { ACCESS_COOKIE } from '@lumikb/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Session } from './service.ts';

export const REFRESH_COOKIE = 'lumikb_refresh';
/** The refresh cookie only travels to the sign-in routes (refresh, logout). */
const REFRESH_PATH = '/api/v1/auth';

function secure(request: FastifyRequest, config: Pick<Config, 'COOKIE_SECURE'>): boolean {
  if (config.COOKIE_SECURE === 'auto') return request.protocol === 'https';
  return config.COOKIE_SECURE === 'true';
}

export function setSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  session: Session,
  config: Pick<Config, 'COOKIE_SECURE'>,
): void {
  const base = { httpOnly: true, sameSite: 'strict' as const, secure: secure(request, config) };
  const now = Date.now();
  void reply.setCookie(ACCESS_COOKIE, session.access.token, {
    ...base,
    path: '/',
    maxAge: Math.max(1, Math.floor((session.access.expiresAt.getTime() - now) / 1000)),
  });
  void reply.setCookie(REFRESH_COOKIE, session.refresh.token, {
    ...base,
    path: REFRESH_PATH,
    maxAge: Math.max(1, Math.floor((session.refresh.expiresAt.getTime() - now) / 1000)),
  });
}

export function clearSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Pick<Config, 'COOKIE_SECURE'>,
): void {
  const base = { httpOnly: true, sameSite: 'strict' as const, secure: secure(request, config) };
  void reply.clearCookie(ACCESS_COOKIE, { ...base, path: '/' });
  void reply.clearCookie(REFRESH_COOKIE, { ...base, path: REFRESH_PATH });
}
