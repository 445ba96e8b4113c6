/** One error handler and one not-found handler for every service. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, kitErrors, STATUS_OF_KIND } from './errors.ts';
import { invalidInputReason, malformedMultipartReason } from './malformed-input.ts';
import { unavailableDependency } from './unavailable.ts';

/** Seconds a client should wait before retrying when a dependency is down. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

const FASTIFY_CODE_MAP: Record<string, () => AppError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => kitErrors.UNSUPPORTED_MEDIA_TYPE('Unsupported Content-Type'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => kitErrors.PAYLOAD_TOO_LARGE('Request body is too large'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => kitErrors.INVALID_JSON('Body is empty but Content-Type is application/json'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => kitErrors.INVALID_JSON('Body is not valid JSON'),
};

/** Translates anything thrown into an AppError; unknown errors become INTERNAL_ERROR. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as FastifyError & { validationContext?: string };
  if (e?.validation) {
    return kitErrors.VALIDATION_FAILED(
      'Request validation failed',
      e.validation.map((v) => ({
        location: e.validationContext ?? 'body',
        path: v.instancePath || '/',
        message: v.message ?? 'is invalid',
        ...(v.params && Object.keys(v.params).length > 0 ? { params: v.params } : {}),
      })),
    );
  }
  if (e?.code && FASTIFY_CODE_MAP[e.code]) return FASTIFY_CODE_MAP[e.code]!();
  if (e instanceof SyntaxError && (e as { statusCode?: number }).statusCode === 400) {
    return kitErrors.INVALID_JSON('Body is not valid JSON');
  }
  const dependency = unavailableDependency(error);
  if (dependency) {
    const retryAfter = { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) };
    return dependency === 'database'
      ? kitErrors.DATABASE_UNAVAILABLE('The database is unavailable; retry later', undefined, retryAfter)
      : kitErrors.BUS_UNAVAILABLE('The message bus is unavailable; retry later', undefined, retryAfter);
  }
  const invalid = invalidInputReason(error);
  if (invalid) return kitErrors.INVALID_INPUT(invalid);
  const multipart = malformedMultipartReason(error);
  if (multipart) return kitErrors.MALFORMED_MULTIPART(multipart);
  const status = e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 429) return kitErrors.RATE_LIMITED(e.message || 'Too many requests');
    if (status === 413) return kitErrors.PAYLOAD_TOO_LARGE(e.message || 'Request body is too large');
    if (status === 415) return kitErrors.UNSUPPORTED_MEDIA_TYPE(e.message || 'Unsupported media type');
    if (status === 404) return kitErrors.NOT_FOUND(e.message || 'Not found');
    if (status === 401) return kitErrors.UNAUTHENTICATED(e.message || 'Sign in required');
    if (status === 403) return kitErrors.FORBIDDEN(e.message || 'Forbidden');
    return kitErrors.BAD_REQUEST(e.message || 'Bad request');
  }
  return kitErrors.INTERNAL_ERROR('Internal server error');
}

/** Returns true when it answered the request itself. */
export type NotFoundFallback = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

export function installErrorHandlers(app: FastifyInstance, fallback?: NotFoundFallback): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    const status = STATUS_OF_KIND[appError.kind];
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status }, appError.message);
    }
    const body: ErrorBody = { code: appError.code, message: appError.message };
    if (appError.details !== undefined && status < 500) body.details = appError.details;
    if (appError.headers) void reply.headers(appError.headers);
    return reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (fallback && (await fallback(request, reply))) return reply;
    const body: ErrorBody = {
      code: 'ROUTE_NOT_FOUND',
      message: `Route ${request.method} ${request.url.split('?')[0]} not found`,
    };
    return reply.status(404).send(body);
  });
}
