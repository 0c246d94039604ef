import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AppConfig, ForbiddenError, Logger, NotFoundError, UnauthorizedError, hashSecret, parseOrThrow, storeModes } from '@tollgate/core';
import { AuditLogService } from '@tollgate/audit';
import type { AccessScope, Principal } from '../access/access.decorators';
import { scopesOfToken } from '../access/role-scopes.policy';
import { API_TOKEN_SCOPES, ApiTokenRecord, ApiTokenRepository, ApiTokenScope } from './api-token.repository';
import { isProxyChannelToken } from './proxy-channel.token';

/** File (in TOLLGATE_DATA_DIR) the embedded mode writes its generated collector token to. */
export const COLLECTOR_TOKEN_FILE = 'collector-token';
/** File (in TOLLGATE_DATA_DIR) the embedded mode writes its generated admin token to. */
export const ADMIN_TOKEN_FILE = 'admin-token';

const teamName = z.string().trim().min(1).max(128);
export const apiTokenInputSchema = z
  .object({
    name: z.string().trim().min(1).max(128),
    scope: z.enum(API_TOKEN_SCOPES),
    /** Teams whose usage, cost and billing data the token may read; omitted or null for all. */
    teams: z.array(teamName).min(1).max(100).nullable().optional(),
  })
  .strict();

/** What refusals say per required scope (the collector's and the proxy channel's wording predate the access guard). */
const REFUSALS: Record<AccessScope, { missing: string; invalid: string }> = {
  collector: { missing: 'missing collector token: send Authorization: Bearer <token>', invalid: 'invalid or revoked collector token' },
  proxy: { missing: 'missing bearer token', invalid: "a live API token of scope 'proxy' is required" },
  read: { missing: 'authentication required: send Authorization: Bearer <token> or log in', invalid: 'invalid or revoked API token' },
  write: { missing: 'authentication required: send Authorization: Bearer <token> or log in', invalid: 'invalid or revoked API token' },
  admin: { missing: 'authentication required: send Authorization: Bearer <token> or log in', invalid: 'invalid or revoked API token' },
};

/** The refusal for a request that carries no credentials, worded for the scope the route requires. */
export function missingCredentials(scope: AccessScope): UnauthorizedError {
  return new UnauthorizedError(REFUSALS[scope].missing);
}

/** Throws ForbiddenError unless the principal holds `scope`. */
export function requireScope(principal: Principal, scope: AccessScope): void {
  if (!principal.scopes.includes(scope)) {
    throw new ForbiddenError(`${principal.kind === 'token' ? 'this API token' : `role of ${principal.name}`} lacks scope '${scope}' (has ${principal.scopes.join(', ')})`);
  }
}

export interface ApiTokenServiceOptions {
  /** The credentials master secret: with it, a proxy may present the derived channel token as a `proxy` token. */
  secretKey?: Buffer;
  /** How long a verified token is trusted without asking PostgreSQL again (a revoked token stops within it). */
  cacheMs?: number;
  now?: () => number;
}

type TokenRepository = Pick<ApiTokenRepository, 'insert' | 'findLive' | 'countLive' | 'list' | 'revoke'>;

/**
 * API tokens (`tollgate.api_tokens`): issued once in clear, stored as hashSecret(token), resolved to a Principal.
 * Besides the issued tokens, two built-in credentials verify: TOLLGATE_COLLECTOR_TOKEN (scope `collector`), and the
 * proxy channel token derived from TOLLGATE_SECRET_KEY (scope `proxy`). Verified tokens are remembered for a minute
 * so ingestion does not query PostgreSQL per request; a revoke through this process forgets at once.
 */
export class ApiTokenService {
  private readonly logger = new Logger('api-tokens');
  private readonly configuredCollectorHash?: Buffer;
  private readonly verified = new Map<string, { principal: Principal; until: number }>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly tokens: TokenRepository,
    private readonly audit: AuditLogService,
    private readonly config: AppConfig,
    private readonly options: ApiTokenServiceOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (config.TOLLGATE_COLLECTOR_TOKEN) this.configuredCollectorHash = Buffer.from(hashSecret(config.TOLLGATE_COLLECTOR_TOKEN), 'hex');
  }

  /** `POST /v1/api-tokens` (admin only): issues a token; the token itself is in this answer only. */
  async create(input: unknown, actor: string): Promise<ApiTokenRecord & { token: string }> {
    const data = parseOrThrow(apiTokenInputSchema, input, { whole: '(body)', context: 'invalid request' });
    const token = `tgt_${randomBytes(24).toString('base64url')}`;
    const teams = data.teams ? [...new Set(data.teams)] : null;
    const record = await this.tokens.insert({ name: data.name, scope: data.scope, hash: hashSecret(token), prefix: token.slice(0, 10), teams, createdBy: actor });
    await this.audit.record({ actor, action: 'api_token.create', entity: 'api_token', entityId: record.id, details: { name: data.name, scope: data.scope, teams } });
    return { ...record, token };
  }

  async hasLiveAdminToken(): Promise<boolean> {
    return (await this.tokens.countLive('admin')) > 0;
  }

  list(): Promise<ApiTokenRecord[]> {
    return this.tokens.list();
  }

  /** Revokes a live token: this process refuses it at once, others within the cache period. */
  async revoke(id: string, actor: string): Promise<ApiTokenRecord> {
    const revoked = await this.tokens.revoke(id);
    if (!revoked) throw new NotFoundError('live API token', id);
    const { token_hash: hash, ...record } = revoked;
    this.verified.delete(hash);
    await this.audit.record({ actor, action: 'api_token.revoke', entity: 'api_token', entityId: id, details: { before: { name: record.name, scope: record.scope, teams: record.teams } } });
    return record;
  }

  /** Creates an active collector token and returns it in clear (the only time it is visible). */
  async createCollectorToken(name: string): Promise<string> {
    const token = `tgc_${randomBytes(32).toString('base64url')}`;
    await this.tokens.insert({ name, scope: 'collector', hash: hashSecret(token), prefix: token.slice(0, 8), createdBy: 'bootstrap' });
    return token;
  }

  /**
   * Embedded mode with no TOLLGATE_COLLECTOR_TOKEN and no collector token in the database: generate one, store its
   * hash, and write the clear token to <data dir>/collector-token (mode 0600) — the one place it can be read back.
   * Server mode never generates: an operator sets TOLLGATE_COLLECTOR_TOKEN or creates a token.
   */
  async ensureCollectorBootstrapToken(): Promise<{ generated: boolean; file?: string }> {
    if (this.config.TOLLGATE_COLLECTOR_TOKEN) return { generated: false };
    return this.ensureGeneratedToken('collector', COLLECTOR_TOKEN_FILE, () => this.createCollectorToken('embedded-bootstrap'), () =>
      this.logger.warn('no collector token configured: POST /v1/telemetry answers 401 until TOLLGATE_COLLECTOR_TOKEN is set or a collector token is created'),
    );
  }

  /**
   * TOLLGATE_ADMIN_TOKEN, when set, becomes a live admin token (stored hashed, once). Without it, embedded mode with no
   * live admin token generates one into <data dir>/admin-token (mode 0600), as for the collector.
   */
  async ensureAdminBootstrapToken(): Promise<{ generated: boolean; file?: string }> {
    const configured = this.config.TOLLGATE_ADMIN_TOKEN;
    if (configured) {
      const hash = hashSecret(configured);
      if (!(await this.tokens.findLive(hash))) {
        await this.tokens.insert({ name: 'TOLLGATE_ADMIN_TOKEN', scope: 'admin', hash, prefix: configured.slice(0, 4), createdBy: 'bootstrap' });
      }
      return { generated: false };
    }
    return this.ensureGeneratedToken(
      'admin',
      ADMIN_TOKEN_FILE,
      async () => {
        const token = `tgt_${randomBytes(24).toString('base64url')}`;
        await this.tokens.insert({ name: 'embedded-bootstrap-admin', scope: 'admin', hash: hashSecret(token), prefix: token.slice(0, 10), createdBy: 'bootstrap' });
        return token;
      },
      () => undefined,
    );
  }

  private async ensureGeneratedToken(scope: ApiTokenScope, fileName: string, issue: () => Promise<string>, onServer: () => void) {
    const file = join(resolve(this.config.TOLLGATE_DATA_DIR), fileName);
    if ((await this.tokens.countLive(scope)) > 0) {
      if (existsSync(file)) this.logger.info(`${scope} token`, { file });
      return { generated: false, file: existsSync(file) ? file : undefined };
    }
    if (storeModes(this.config).postgres !== 'embedded') {
      onServer();
      return { generated: false };
    }
    const token = await issue();
    writeFileSync(file, token + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    this.logger.info(`generated a ${scope} token`, { file });
    return { generated: true, file };
  }

  /** The principal a bearer token stands for, or undefined when it is none (unknown or revoked). */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (this.options.secretKey && isProxyChannelToken(this.options.secretKey, token)) {
      return { kind: 'token', id: 'proxy-channel', name: 'token:proxy-channel', scopes: ['proxy'], teams: null };
    }
    const hash = hashSecret(token);
    if (this.configuredCollectorHash && timingSafeEqual(this.configuredCollectorHash, Buffer.from(hash, 'hex'))) {
      return { kind: 'token', id: 'configured-collector', name: 'token:TOLLGATE_COLLECTOR_TOKEN', scopes: ['collector'], teams: null };
    }
    const cached = this.verified.get(hash);
    if (cached && cached.until > this.now()) return cached.principal;
    const row = await this.tokens.findLive(hash);
    if (!row) {
      this.verified.delete(hash);
      return undefined;
    }
    const principal: Principal = { kind: 'token', id: row.id, name: `token:${row.name}`, scopes: scopesOfToken(row.scope), teams: row.teams };
    this.verified.set(hash, { principal, until: this.now() + this.cacheMs });
    return principal;
  }

  /**
   * The principal of an `Authorization: Bearer <token>` header: 401 when the header is missing or malformed or the
   * token unknown or revoked (worded for the `scope` the route requires). No scope check.
   */
  async principalOfBearer(authorization: string | undefined, scope: AccessScope): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw missingCredentials(scope);
    const principal = await this.authenticate(match[1]);
    if (!principal) throw new UnauthorizedError(REFUSALS[scope].invalid);
    return principal;
  }

  /** principalOfBearer, then 403 unless the token holds `scope`. */
  async verifyBearer(authorization: string | undefined, scope: AccessScope): Promise<Principal> {
    const principal = await this.principalOfBearer(authorization, scope);
    requireScope(principal, scope);
    return principal;
  }
}
