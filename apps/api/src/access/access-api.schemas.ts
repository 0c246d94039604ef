import { z } from 'zod';
import { ACCESS_SCOPES, API_TOKEN_SCOPES, USER_ROLES } from '@tollgate/auth';

/** Request and answer shapes of the access routes: validation and the OpenAPI document both come from these. */
export const loginBodySchema = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) }).strict();

const teams = z.array(z.string()).nullable();

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(USER_ROLES),
  teams,
  has_password: z.boolean(),
  created_at: z.string(),
  disabled_at: z.string().nullable(),
});

export const sessionAnswerSchema = z.object({ user: userSchema, csrf_token: z.string(), expires_at: z.string() });

export const principalSchema = z.object({
  kind: z.enum(['token', 'user']),
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(ACCESS_SCOPES)),
  teams,
});

export const apiTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  scope: z.enum(API_TOKEN_SCOPES),
  teams,
  token_prefix: z.string(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});

export const issuedApiTokenSchema = apiTokenSchema.extend({ token: z.string() });

export const auditQuerySchema = z
  .object({
    entity: z.string().min(1).optional(),
    entity_id: z.string().min(1).optional(),
    actor: z.string().min(1).optional(),
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone' }).optional(),
    cursor: z.string().regex(/^\d{1,18}$/, 'must be the next_cursor of a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const auditPageSchema = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      entity: z.string(),
      entity_id: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  next_cursor: z.string().nullable(),
});

export const EXAMPLE_USER: z.input<typeof userSchema> = {
  id: '5b0e6a52-4f7a-4c55-9b0c-2f4e1b7d9a10',
  email: 'dana@example.com',
  role: 'finance',
  teams: null,
  has_password: true,
  created_at: '2026-12-01T09:00:00.000Z',
  disabled_at: null,
};

export const EXAMPLE_TOKEN: z.input<typeof apiTokenSchema> = {
  id: '0f8c2d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  name: 'ci-reader',
  scope: 'read',
  teams: ['search'],
  token_prefix: 'tgt_Xk3v9Q',
  created_by: 'dana@example.com',
  created_at: '2026-12-01T09:00:00.000Z',
  revoked_at: null,
};
