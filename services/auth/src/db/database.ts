/** Tables of the `auth` schema. */
import type { ColumnType, Generated } from '@lumikb/db';
import type { EventKitTables } from '@lumikb/events';

export const SCHEMA = 'auth';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UserTable {
  id: Generated<string>;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`; never leaves this service. */
  password_hash: string;
  is_active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  last_login_at: Date | null;
  password_changed_at: Generated<Date>;
  /** Access tokens issued (iat) before this instant are refused by auth. */
  tokens_valid_after: Timestamp;
}

export interface GroupTable {
  id: Generated<string>;
  name: string;
  description: Generated<string>;
  permission_level: number;
  is_system: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface UserGroupTable {
  user_id: string;
  group_id: string;
  added_at: Generated<Date>;
}

export interface RefreshTokenTable {
  id: Generated<string>;
  /** Every token rotated from one login shares a family; reuse revokes the family. */
  family_id: string;
  user_id: string;
  /** SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

/** One counter per (scope, key), e.g. ('account_ip', 'ip|email'); see sessions/throttle.ts. */
export interface LoginAttemptTable {
  scope: string;
  key: string;
  attempts: number;
  window_started_at: Generated<Date>;
}

export interface AuditLogTable {
  /** The audit.recorded event id. */
  id: string;
  occurred_at: Date;
  recorded_at: Generated<Date>;
  service: string;
  action: string;
  outcome: string;
  resource_type: string;
  resource_id: string | null;
  actor_type: string;
  actor_id: string;
  actor_email: string | null;
  request_id: string | null;
  ip: string | null;
  old_value: ColumnType<unknown, string | null, string | null>;
  new_value: ColumnType<unknown, string | null, string | null>;
}

export interface AuthDatabase extends EventKitTables {
  users: UserTable;
  groups: GroupTable;
  user_groups: UserGroupTable;
  refresh_tokens: RefreshTokenTable;
  login_attempts: LoginAttemptTable;
  audit_log: AuditLogTable;
}
