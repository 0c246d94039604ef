import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AppConfig, Logger, UnauthorizedError, hashSecret, parseOrThrow, storeModes } from '@tollgate/core';
import { AuditLogService } from '@tollgate/audit';
import { API_TOKEN_SCOPES, ApiTokenRecord, ApiTokenRepository, ApiTokenScope } from './api-token.repository';
import { isProxyChannelToken } from './proxy-channel.token';

/** File (in TOLLGATE_DATA_DIR) the embedded mode writes its generated collector token to. */
export const COLLECTOR_TOKEN_FILE = 'collector-token';

export const apiTokenInputSchema = z.object({ name: z.string().trim().min(1).max(128), scope: z.enum(API_TOKEN_SCOPES) }).strict();

/** What each scope's refusals say (the collector's and the proxy channel's wording predate this service). */
const REFUSALS: Record<ApiTokenScope, { missing: string; invalid: string }> = {
  collector: { missing: 'missing collector token: send Authorization: Bearer <token>', invalid: 'invalid or revoked collector token' },
  proxy: { missing: 'missing bearer token', invalid: "a live API token of scope 'proxy' is required" },
  admin: { missing: 'missing bearer token', invalid: "a live API token of scope 'admin' is required" },
};

export interface ApiTokenServiceOptions {
  /** The credentials master secret: with it, a proxy may present the derived channel token as a `proxy` token. */
  secretKey?: Buffer;
  /** How long a verified token is trusted without asking PostgreSQL again (a revoked token stops within it). */
  cacheMs?: number;
  now?: () => number;
}

/**
 * API tokens (`tollgate.api_tokens`): issued once in clear, stored as hashSecret(token), verified per scope.
 * Besides the issued tokens, two built-in credentials verify: TOLLGATE_COLLECTOR_TOKEN for `collector`, and the proxy
 * channel token derived from TOLLGATE_SECRET_KEY for `proxy`. Verified tokens are remembered for a minute so
 * ingestion does not query PostgreSQL per request.
 */
export class ApiTokenService {
  private readonly logger = new Logger('api-tokens');
  private readonly configuredCollectorHash?: Buffer;
  private readonly verified = new Map<string, number>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly tokens: Pick<ApiTokenRepository, 'insert' | 'isLive' | 'countLive'>,
    private readonly audit: AuditLogService,
    private readonly config: AppConfig,
    private readonly options: ApiTokenServiceOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (config.TOLLGATE_COLLECTOR_TOKEN) this.configuredCollectorHash = Buffer.from(hashSecret(config.TOLLGATE_COLLECTOR_TOKEN), 'hex');
  }

  /** `POST /v1/api-tokens`: issues a token of the requested scope; the token itself is in this answer only. */
  async create(input: unknown, actor = 'api'): Promise<ApiTokenRecord & { token: string }> {
    const data = parseOrThrow(apiTokenInputSchema, input, { whole: '(body)', context: 'invalid request' });
    const token = `tgt_${randomBytes(24).toString('base64url')}`;
    const record = await this.tokens.insert({ name: data.name, scope: data.scope, hash: hashSecret(token), prefix: token.slice(0, 10) });
    await this.audit.record({ actor, action: 'api_token.create', entity: 'api_token', entityId: record.id, details: { name: data.name, scope: data.scope } });
    return { ...record, token };
  }

  /** Creates an active collector token and returns it in clear (the only time it is visible). */
  async createCollectorToken(name: string): Promise<string> {
    const token = `tgc_${randomBytes(32).toString('base64url')}`;
    await this.tokens.insert({ name, scope: 'collector', hash: hashSecret(token), prefix: token.slice(0, 8) });
    return token;
  }

  /**
   * Embedded mode with no TOLLGATE_COLLECTOR_TOKEN and no collector token in the database: generate one, store its
   * hash, and write the clear token to <data dir>/collector-token (mode 0600) — the one place it can be read back.
   * Server mode never generates: an operator sets TOLLGATE_COLLECTOR_TOKEN or creates a token.
   */
  async ensureCollectorBootstrapToken(): Promise<{ generated: boolean; file?: string }> {
    if (this.config.TOLLGATE_COLLECTOR_TOKEN) return { generated: false };
    const file = join(resolve(this.config.TOLLGATE_DATA_DIR), COLLECTOR_TOKEN_FILE);
    if ((await this.tokens.countLive('collector')) > 0) {
      if (existsSync(file)) this.logger.info('collector token', { file });
      return { generated: false, file: existsSync(file) ? file : undefined };
    }
    if (storeModes(this.config).postgres !== 'embedded') {
      this.logger.warn('no collector token configured: POST /v1/telemetry answers 401 until TOLLGATE_COLLECTOR_TOKEN is set or a collector token is created');
      return { generated: false };
    }
    const token = await this.createCollectorToken('embedded-bootstrap');
    writeFileSync(file, token + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    this.logger.info('generated a collector token for POST /v1/telemetry', { file });
    return { generated: true, file };
  }

  /** Throws UnauthorizedError unless the `Authorization: Bearer <token>` header carries a live token of `scope`. */
  async verifyBearer(authorization: string | undefined, scope: ApiTokenScope): Promise<void> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new UnauthorizedError(REFUSALS[scope].missing);
    const token = match[1];
    if (scope === 'proxy' && this.options.secretKey && isProxyChannelToken(this.options.secretKey, token)) return;
    const hash = hashSecret(token);
    if (scope === 'collector' && this.configuredCollectorHash && timingSafeEqual(this.configuredCollectorHash, Buffer.from(hash, 'hex'))) return;
    const cacheKey = `${scope}:${hash}`;
    const until = this.verified.get(cacheKey);
    if (until !== undefined && until > this.now()) return;
    if (!(await this.tokens.isLive(hash, scope))) {
      this.verified.delete(cacheKey);
      throw new UnauthorizedError(REFUSALS[scope].invalid);
    }
    this.verified.set(cacheKey, this.now() + this.cacheMs);
  }
}
