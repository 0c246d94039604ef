import type { AccessScope } from './access.decorators';

/** Console user roles, least to most powerful. */
export const USER_ROLES = ['viewer', 'finance', 'approver', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * What each role may do. `viewer` reads; `finance` also changes configuration (billing sources and uploads, price
 * overrides, providers, deployments, virtual keys); `approver` reads and — when recommendations arrive — approves
 * them (no route needs that yet, so today it reads); `admin` does everything a person may: tokens, users,
 * credentials, the audit log. No role carries `collector` or `proxy`: those are machine channels, issued as tokens.
 */
export const ROLE_SCOPES: Record<UserRole, readonly AccessScope[]> = {
  viewer: ['read'],
  finance: ['read', 'write'],
  approver: ['read'],
  admin: ['read', 'write', 'admin'],
};

/**
 * The scopes an API token of `scope` holds: `admin` includes `write` and `read`, `write` includes `read`.
 * `collector` and `proxy` include nothing else, and nothing includes them: an admin token reads no credentials.
 */
export function scopesOfToken(scope: AccessScope): readonly AccessScope[] {
  if (scope === 'admin') return ['read', 'write', 'admin'];
  if (scope === 'write') return ['read', 'write'];
  return [scope];
}
