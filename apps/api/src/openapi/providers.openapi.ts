import { z } from 'zod';
import { overrideJsonSchema } from '@tollgate/pricing';
import { providerInputSchema } from '@tollgate/providers';

/** Response shapes of the provider admin routes (what ProviderAdminService returns, as JSON) and their examples. */
const uuid = z.uuid();
const timestamp = z.iso.datetime({ offset: true });

export const providerSchema = z.object({
  id: uuid,
  name: z.string(),
  kind: providerInputSchema.shape.kind,
  base_url: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
  has_credentials: z.boolean().describe('credentials are stored encrypted and never returned'),
});

export const deploymentSchema = z.object({
  id: uuid,
  provider_id: uuid,
  model: z.string().describe('the model name clients send'),
  upstream_model: z.string().describe('the model name sent to the provider'),
  provider_account: z.string(),
  region: z.string(),
  gpu_pool: z.string().nullable(),
  gpu_hourly_cost: z.string().nullable(),
  opencost_selector: z.record(z.string(), z.unknown()).nullable(),
  enabled: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

const virtualKeyFields = {
  id: uuid,
  name: z.string(),
  key_prefix: z.string().describe('the first 10 characters of the key, to recognise it'),
  defaults: z.record(z.string(), z.string()).describe('attribution applied when a request sends no header of its own'),
  fixed: z.record(z.string(), z.string()).describe('attribution no request header may change (a request that tries is refused with 403)'),
  allowed_models: z.array(z.string()).nullable(),
  created_at: timestamp,
};
export const issuedVirtualKeySchema = z.object({ ...virtualKeyFields, key: z.string().describe('the key itself: shown in this answer only') });
export const virtualKeySchema = z.object({ ...virtualKeyFields, revoked_at: timestamp.nullable() });
export const revokedKeySchema = z.object({ id: uuid, revoked_at: timestamp });

export const issuedApiTokenSchema = z.object({
  id: uuid,
  name: z.string(),
  scope: z.string(),
  token_prefix: z.string(),
  created_at: timestamp,
  token: z.string().describe('the token itself: shown in this answer only'),
});

export const catalogueSchema = z.object({
  targets: z.array(z.record(z.string(), z.unknown())).describe('one routing target per deployment, with its provider and decrypted credentials'),
  keys: z.array(z.record(z.string(), z.unknown())).describe('virtual keys by hash, with their defaults and allowed models'),
  price_overrides: z.array(overrideJsonSchema),
});

const at = '2026-11-02T09:30:00.000Z';
export const PROVIDER_ID = '3f0e7a52-5d7e-4d43-9a3c-2a8e0c1f9b10';

export const providerExample = {
  id: PROVIDER_ID,
  name: 'openai',
  kind: 'openai',
  base_url: 'https://api.openai.com/v1',
  settings: {},
  enabled: true,
  created_at: at,
  updated_at: at,
  has_credentials: true,
} satisfies z.input<typeof providerSchema>;

export const deploymentExample = {
  id: '8b6f3c1e-2f4a-4c6b-9d1e-5a7b8c9d0e1f',
  provider_id: PROVIDER_ID,
  model: 'gpt-4o-mini',
  upstream_model: 'gpt-4o-mini',
  provider_account: 'org-acme',
  region: '',
  gpu_pool: null,
  gpu_hourly_cost: null,
  opencost_selector: null,
  enabled: true,
  created_at: at,
  updated_at: at,
} satisfies z.input<typeof deploymentSchema>;

const keyExample = {
  id: '0c4d8e2a-7b1f-4e3d-8a6c-9f2e1d0b3a4c',
  name: 'checkout-service',
  key_prefix: 'tg-Hq3xY0a',
  defaults: { env: 'prod' },
  fixed: { team: 'payments' },
  allowed_models: null,
  created_at: at,
};
export const issuedKeyExample = { ...keyExample, key: 'tg-Hq3xY0aLw9mV2rT5uZ8bN1cD4eF7gJ0k' } satisfies z.input<typeof issuedVirtualKeySchema>;
export const keyListExample = [{ ...keyExample, revoked_at: null }] satisfies z.input<typeof virtualKeySchema>[];

export const issuedTokenExample = {
  id: '5e1a9c3b-4d2f-4a8e-b7c6-1d0e9f8a7b6c',
  name: 'ci-reader',
  scope: 'admin',
  token_prefix: 'tgt_Xb2Qe7',
  created_at: at,
  token: 'tgt_Xb2Qe7nR4sT1vW8yZ0aB3cD6eF9gH2jK',
} satisfies z.input<typeof issuedApiTokenSchema>;
