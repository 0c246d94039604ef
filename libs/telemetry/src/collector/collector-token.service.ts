import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { AppConfig, Logger, UnauthorizedError, storeModes } from '@tollgate/core';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** File (in TOLLGATE_DATA_DIR) the embedded mode writes its generated collector token to. */
export const COLLECTOR_TOKEN_FILE = 'collector-token';

/**
 * Collector authentication: `Authorization: Bearer <token>` where the token is TOLLGATE_COLLECTOR_TOKEN or one of
 * the active `tollgate.api_tokens` rows with scope 'collector' (stored as sha256 hex, never in clear).
 * Verified hashes are remembered for a minute so ingestion does not query PostgreSQL per request; a revoked
 * token stops working within that minute.
 */
export class CollectorTokenService {
  private readonly logger = new Logger('collector-auth');
  private readonly configuredHash?: Buffer;
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly cacheMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    if (config.TOLLGATE_COLLECTOR_TOKEN) this.configuredHash = Buffer.from(sha256(config.TOLLGATE_COLLECTOR_TOKEN), 'hex');
  }

  /**
   * Embedded mode with no TOLLGATE_COLLECTOR_TOKEN and no collector token in the database: generate one, store its
   * hash, and write the clear token to <data dir>/collector-token (mode 0600) — the one place it can be read back.
   * Server mode never generates: an operator sets TOLLGATE_COLLECTOR_TOKEN or inserts a token.
   */
  async ensureBootstrapToken(): Promise<{ generated: boolean; file?: string }> {
    if (this.config.TOLLGATE_COLLECTOR_TOKEN) return { generated: false };
    const file = join(resolve(this.config.TOLLGATE_DATA_DIR), COLLECTOR_TOKEN_FILE);
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM tollgate.api_tokens WHERE scope = 'collector' AND revoked_at IS NULL`);
    if (n > 0) {
      if (existsSync(file)) this.logger.info('collector token', { file });
      return { generated: false, file: existsSync(file) ? file : undefined };
    }
    if (storeModes(this.config).postgres !== 'embedded') {
      this.logger.warn('no collector token configured: POST /v1/telemetry answers 401 until TOLLGATE_COLLECTOR_TOKEN is set or a collector token is created');
      return { generated: false };
    }
    const token = await this.create('embedded-bootstrap');
    writeFileSync(file, token + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    this.logger.info('generated a collector token for POST /v1/telemetry', { file });
    return { generated: true, file };
  }

  /** Creates an active collector token and returns it in clear (the only time it is visible). */
  async create(name: string): Promise<string> {
    const token = `tgc_${randomBytes(32).toString('base64url')}`;
    await this.dataSource.query(`INSERT INTO tollgate.api_tokens (name, scope, token_hash, token_prefix) VALUES ($1, 'collector', $2, $3)`, [
      name,
      sha256(token),
      token.slice(0, 8),
    ]);
    return token;
  }

  /** Throws UnauthorizedError unless the header carries a valid collector token. */
  async verify(authorization: string | undefined): Promise<void> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw new UnauthorizedError('missing collector token: send Authorization: Bearer <token>');
    const hash = sha256(match[1]);
    if (this.configuredHash && timingSafeEqual(this.configuredHash, Buffer.from(hash, 'hex'))) return;
    const until = this.verified.get(hash);
    if (until !== undefined && until > this.now()) return;
    const rows = await this.dataSource.query(
      `SELECT 1 FROM tollgate.api_tokens WHERE token_hash = $1 AND scope = 'collector' AND revoked_at IS NULL LIMIT 1`,
      [hash],
    );
    if (rows.length === 0) {
      this.verified.delete(hash);
      throw new UnauthorizedError('invalid or revoked collector token');
    }
    this.verified.set(hash, this.now() + this.cacheMs);
  }
}
