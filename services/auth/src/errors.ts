/** The auth service's error catalogue: stable codes, mapped to statuses by the kit. */
import { defineErrors } from '@lumikb/service-kit';

export const errors = defineErrors({
  INVALID_CREDENTIALS: 'unauthenticated',
  ACCOUNT_DEACTIVATED: 'unauthenticated',
  TOKEN_REVOKED: 'unauthenticated',
  REFRESH_TOKEN_MISSING: 'unauthenticated',
  REFRESH_TOKEN_INVALID: 'unauthenticated',
  REFRESH_TOKEN_EXPIRED: 'unauthenticated',
  REFRESH_TOKEN_REVOKED: 'unauthenticated',
  REFRESH_TOKEN_REUSED: 'unauthenticated',
  SESSION_TIMED_OUT: 'unauthenticated',
  INVALID_CLIENT_SECRET: 'unauthenticated',
  LOGIN_THROTTLED: 'rate_limited',
  REGISTRATION_DISABLED: 'forbidden',
  CURRENT_PASSWORD_INCORRECT: 'bad_request',
  WEAK_PASSWORD: 'bad_request',
  /** One of the most common passwords, ignoring case and leading/trailing digits or symbols. */
  COMMON_PASSWORD: 'bad_request',
  EMAIL_TAKEN: 'conflict',
  USER_NOT_FOUND: 'not_found',
  GROUP_NOT_FOUND: 'not_found',
  GROUP_NAME_TAKEN: 'conflict',
  SYSTEM_GROUP_PROTECTED: 'conflict',
  DEFAULT_GROUP_MEMBERSHIP: 'conflict',
  LAST_ADMIN: 'conflict',
  ALREADY_MEMBER: 'conflict',
  MEMBERSHIP_NOT_FOUND: 'not_found',
  INVALID_TIME_RANGE: 'bad_request',
});
