import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuditLogService } from '@tollgate/audit';
import { ConflictError, CredentialCipher, NotFoundError, hashSecret, parseOrThrow } from '@tollgate/core';
import { CatalogueSnapshot, PostgresCatalogueSource } from '../catalogue/provider-catalogue';
import { PROVIDER_KINDS } from '../provider.types';

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

const name = z.string().trim().min(1).max(128);
export const providerCredentialsSchema = z
  .object({
    apiKey: z.string().min(1).max(4096).optional(),
    bearerToken: z.string().min(1).max(8192).optional(),
    accessKeyId: z.string().min(1).max(256).optional(),
    secretAccessKey: z.string().min(1).max(256).optional(),
    sessionToken: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const providerInputSchema = z
  .object({
    name: name.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits and . _ - only'),
    kind: z.enum(PROVIDER_KINDS as [string, ...string[]]),
    base_url: z
      .string()
      .url()
      .refine((u) => u.startsWith('http://') || u.startsWith('https://'), 'must be an http(s) URL')
      .optional(),
    settings: z.record(z.string(), z.unknown()).default({}),
    credentials: providerCredentialsSchema.optional(),
  })
  .strict();

export const deploymentInputSchema = z
  .object({
    model: name,
    upstream_model: name.optional(),
    provider_account: z.string().max(256).default(''),
    region: z.string().max(64).default(''),
    gpu_pool: z.string().max(128).nullable().optional(),
    gpu_hourly_cost: z.string().regex(/^\d+(\.\d+)?$/, 'decimal string such as "2.50"').nullable().optional(),
  })
  .strict();

/** Body of POST /v1/keys. */
export const virtualKeyCreateSchema = z
  .object({
    name,
    defaults: z.record(z.string(), z.unknown()).default({}),
    /** Tags no request header may change; omitted: the default team, when there is one, is fixed. */
    fixed: z.record(z.string(), z.unknown()).optional(),
    allowed_models: z.array(name).max(1000).nullable().optional(),
  })
  .strict();

/** TypeORM's postgres driver answers an UPDATE … RETURNING with `[rows, affected]`, a plain query with the rows. */
function updatedRows(result: unknown[]): any[] {
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result;
}

/** Body of PATCH /v1/keys/:id: only what is given changes. */
export const virtualKeyUpdateSchema = z
  .object({
    name: name.optional(),
    defaults: z.record(z.string(), z.unknown()).optional(),
    fixed: z.record(z.string(), z.unknown()).optional(),
    allowed_models: z.array(name).max(1000).nullable().optional(),
  })
  .strict();

/** A virtual key's attribution as stored, checked by the caller's rules (the gateway's tag grammar). */
export type KeyAttribution = { defaults: Record<string, string>; fixed: Record<string, string> };
/** Validates `defaults` and `fixed` together (`fixed` undefined: not given) and returns what to store. */
export type KeyAttributionValidator = (defaults: unknown, fixed: unknown) => KeyAttribution;

const KEY_COLUMNS = `id, name, key_prefix, defaults, fixed, allowed_models, created_at, revoked_at`;

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  return parseOrThrow(schema, input, { whole: '(body)', context: 'invalid request' });
}

const PROVIDER_COLUMNS = `id, name, kind, base_url, settings, enabled, created_at, updated_at, (credentials_ciphertext IS NOT NULL) AS has_credentials`;

/**
 * Providers, deployments and virtual keys (the api side of the proxy's catalogue). Credentials are encrypted (purpose
 * `provider-credentials`) before they reach SQL and never returned; keys are returned once at creation and stored as
 * hashSecret(key). Every change is audit-logged.
 */
export class ProviderAdminService {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: CredentialCipher,
    private readonly auditLog: AuditLogService,
  ) {}

  async createProvider(input: unknown, actor = 'api') {
    const data = parse(providerInputSchema, input);
    const id = randomUUID();
    const ciphertext = data.credentials ? this.cipher.encrypt(data.credentials, id) : null;
    try {
      await this.db.query(
        `INSERT INTO tollgate.providers (id, name, kind, base_url, settings, credentials_ciphertext) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, data.name, data.kind, data.base_url ?? null, JSON.stringify(data.settings), ciphertext],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ConflictError(`provider '${data.name}' already exists`);
      throw error;
    }
    await this.audit(actor, 'provider.create', 'provider', id, { name: data.name, kind: data.kind, has_credentials: ciphertext !== null });
    return this.getProvider(id);
  }

  async setCredentials(id: string, input: unknown, actor = 'api') {
    const credentials = parse(providerCredentialsSchema, input);
    const rows = updatedRows(await this.db.query(`UPDATE tollgate.providers SET credentials_ciphertext = $2, updated_at = now() WHERE id = $1 RETURNING id`, [id, this.cipher.encrypt(credentials, id)]));
    if (!rows.length) throw new NotFoundError('provider', id);
    await this.audit(actor, 'provider.credentials', 'provider', id, {});
    return this.getProvider(id);
  }

  /**
   * During a key rotation (a previous key configured): re-encrypts every stored provider credential still under the
   * previous key so it is under TOLLGATE_SECRET_KEY alone; returns how many changed. Each row is swapped only if it
   * still holds what was read, so a credential set meanwhile, or a second process doing the same, is left alone.
   * A credential no configured key opens fails the whole pass with a ConfigError naming the variables.
   */
  async reencryptCredentials(): Promise<number> {
    if (!this.cipher.rotating) return 0;
    const rows = await this.db.query(`SELECT id, credentials_ciphertext FROM tollgate.providers WHERE credentials_ciphertext IS NOT NULL ORDER BY id`);
    const updates = rows
      .map((r) => ({ id: r.id as string, stored: r.credentials_ciphertext as string, next: this.cipher.reencrypt(r.credentials_ciphertext, r.id) }))
      .filter((u) => u.next !== null);
    for (const u of updates) {
      await this.db.query(`UPDATE tollgate.providers SET credentials_ciphertext = $3 WHERE id = $1 AND credentials_ciphertext = $2`, [u.id, u.stored, u.next]);
    }
    return updates.length;
  }

  async getProvider(id: string) {
    const rows = await this.db.query(`SELECT ${PROVIDER_COLUMNS} FROM tollgate.providers WHERE id = $1`, [id]);
    if (!rows.length) throw new NotFoundError('provider', id);
    return rows[0];
  }

  listProviders() {
    return this.db.query(`SELECT ${PROVIDER_COLUMNS} FROM tollgate.providers ORDER BY name`);
  }

  async createDeployment(providerId: string, input: unknown, actor = 'api') {
    const data = parse(deploymentInputSchema, input);
    await this.getProvider(providerId);
    let rows;
    try {
      rows = await this.db.query(
        `INSERT INTO tollgate.model_deployments (provider_id, model, upstream_model, provider_account, region, gpu_pool, gpu_hourly_cost)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [providerId, data.model, data.upstream_model ?? data.model, data.provider_account, data.region, data.gpu_pool ?? null, data.gpu_hourly_cost ?? null],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ConflictError(`provider ${providerId} already has a deployment of '${data.model}'`);
      throw error;
    }
    await this.audit(actor, 'deployment.create', 'model_deployment', rows[0].id, { provider_id: providerId, model: data.model });
    return rows[0];
  }

  listDeployments() {
    return this.db.query(`SELECT * FROM tollgate.model_deployments ORDER BY model, created_at`);
  }

  /** Issues a virtual key; the key itself is in this answer only. `validate` applies the attribution rules. */
  async createVirtualKey(input: unknown, validate: KeyAttributionValidator, actor = 'api') {
    const data = parse(virtualKeyCreateSchema, input);
    const { defaults, fixed } = validate(data.defaults, data.fixed);
    const key = `tg-${randomBytes(24).toString('base64url')}`;
    const rows = await this.db.query(
      `INSERT INTO tollgate.virtual_keys (name, key_hash, key_prefix, defaults, fixed, allowed_models) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, name, key_prefix, defaults, fixed, allowed_models, created_at`,
      [data.name, hashSecret(key), key.slice(0, 10), JSON.stringify(defaults), JSON.stringify(fixed), data.allowed_models ?? null],
    );
    await this.audit(actor, 'virtual_key.create', 'virtual_key', rows[0].id, { name: data.name, key_prefix: key.slice(0, 10), defaults, fixed });
    return { ...rows[0], key };
  }

  /**
   * Changes a key's name, attribution or allowed models; the key itself stays. Given `defaults` without `fixed`
   * keeps the fixed tags as they are (checked against the new defaults); the audit entry holds before and after.
   */
  async updateVirtualKey(id: string, input: unknown, validate: KeyAttributionValidator, actor = 'api') {
    const data = parse(virtualKeyUpdateSchema, input);
    const before = await this.getVirtualKey(id);
    const { defaults, fixed } = validate(data.defaults ?? before.defaults, data.fixed ?? before.fixed);
    // Read back rather than RETURNING: TypeORM answers an UPDATE's RETURNING as [rows, count], a plain query as rows.
    await this.db.query(`UPDATE tollgate.virtual_keys SET name = $2, defaults = $3, fixed = $4, allowed_models = $5 WHERE id = $1`, [
      id,
      data.name ?? before.name,
      JSON.stringify(defaults),
      JSON.stringify(fixed),
      data.allowed_models === undefined ? before.allowed_models : data.allowed_models,
    ]);
    const after = await this.getVirtualKey(id);
    const shown = (k: typeof after) => ({ name: k.name, defaults: k.defaults, fixed: k.fixed, allowed_models: k.allowed_models });
    await this.audit(actor, 'virtual_key.update', 'virtual_key', id, { before: shown(before), after: shown(after) });
    return after;
  }

  async getVirtualKey(id: string) {
    const rows = await this.db.query(`SELECT ${KEY_COLUMNS} FROM tollgate.virtual_keys WHERE id = $1`, [id]);
    if (!rows.length) throw new NotFoundError('virtual key', id);
    return rows[0];
  }

  listVirtualKeys() {
    return this.db.query(`SELECT ${KEY_COLUMNS} FROM tollgate.virtual_keys ORDER BY created_at`);
  }

  async revokeVirtualKey(id: string, actor = 'api') {
    const rows = updatedRows(await this.db.query(`UPDATE tollgate.virtual_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id, revoked_at`, [id]));
    if (!rows.length) throw new NotFoundError('virtual key', id);
    await this.audit(actor, 'virtual_key.revoke', 'virtual_key', id, {});
    return rows[0];
  }

  /** The proxy's catalogue, credentials decrypted: only for the authenticated proxy channel. */
  catalogue(): Promise<CatalogueSnapshot> {
    return new PostgresCatalogueSource(this.db, this.cipher).load();
  }

  private audit(actor: string, action: string, entity: string, entityId: string, details: Record<string, unknown>): Promise<void> {
    return this.auditLog.record({ actor, action, entity, entityId, details });
  }
}
