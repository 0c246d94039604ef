import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { APP_CONFIG, AppConfig, ConflictError, CredentialCipher, Logger, NotFoundError, loadSecretKeys, parseOrThrow } from '@tollgate/core';
import { QUEUES, QueueBackend, QueueName } from '@tollgate/storage';
import { BillingSourceEntity, BillingSyncRunEntity } from './billing-source.entity';
import {
  BillingSourceKind,
  createSourceSchema,
  parseSourceCredentials,
  parseSourceSettings,
  updateSourceSchema,
} from './billing-source.settings';
import { BillingSyncJob, billingSyncJobOptions, schedulerRepeat } from './billing-sync.job';

/** A source as the api shows it: credentials never leave, only whether they are set. */
export interface BillingSourceView {
  id: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  hasCredentials: boolean;
  schedule: string | null;
  enabled: boolean;
  cursor: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export function sourceView(s: BillingSourceEntity): BillingSourceView {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    settings: s.settings,
    hasCredentials: s.credentials_ciphertext !== null,
    schedule: s.schedule,
    enabled: s.enabled,
    cursor: s.sync_cursor,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
  };
}

export function runView(r: BillingSyncRunEntity) {
  return {
    id: r.id,
    sourceId: r.source_id,
    status: r.status,
    trigger: r.trigger,
    attempt: r.attempt,
    periodStart: r.period_start.toISOString(),
    periodEnd: r.period_end.toISOString(),
    rows: r.row_count,
    totals: r.totals,
    inputs: r.inputs,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    durationMs: r.duration_ms,
    error: r.error,
    errorLine: r.error_line,
  };
}

/** Billing sources: configuration in PostgreSQL, credentials encrypted, one BullMQ job scheduler per scheduled source. */
@Injectable()
export class BillingSourcesService implements OnApplicationBootstrap {
  private readonly sources: Repository<BillingSourceEntity>;
  private readonly runs: Repository<BillingSyncRunEntity>;
  private readonly cipher: CredentialCipher;

  constructor(
    dataSource: DataSource,
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sources = dataSource.getRepository(BillingSourceEntity);
    this.runs = dataSource.getRepository(BillingSyncRunEntity);
    this.cipher = CredentialCipher.fromKeys(loadSecretKeys(config), 'billing-source-credentials');
  }

  /** A key rotation finishes here: stored source credentials move under TOLLGATE_SECRET_KEY before the app serves. */
  async onApplicationBootstrap(): Promise<void> {
    const changed = await this.reencryptCredentials();
    if (changed) new Logger('billing-sources').info('billing credentials re-encrypted under TOLLGATE_SECRET_KEY', { changed });
  }

  /**
   * During a key rotation (a previous key configured): re-encrypts every stored source credential still under the
   * previous key so it is under TOLLGATE_SECRET_KEY alone; returns how many changed. Each row is swapped only if it
   * still holds what was read (another process, or an update meanwhile, wins); updated_at stays, as nothing the user
   * set has changed. A credential no configured key opens fails the pass with a ConfigError naming the variables.
   */
  async reencryptCredentials(): Promise<number> {
    if (!this.cipher.rotating) return 0;
    const stored = await this.sources.manager.query(`SELECT id, credentials_ciphertext FROM tollgate.billing_sources WHERE credentials_ciphertext IS NOT NULL ORDER BY id`);
    const updates = (stored as { id: string; credentials_ciphertext: string }[])
      .map((r) => ({ id: r.id, stored: r.credentials_ciphertext, next: this.cipher.reencrypt(r.credentials_ciphertext, r.id) }))
      .filter((u) => u.next !== null);
    for (const u of updates) {
      await this.sources.manager.query(`UPDATE tollgate.billing_sources SET credentials_ciphertext = $3 WHERE id = $1 AND credentials_ciphertext = $2`, [u.id, u.stored, u.next]);
    }
    return updates.length;
  }

  async create(body: unknown): Promise<BillingSourceView> {
    const input = parseOrThrow(createSourceSchema, body, { whole: '(body)' });
    const settings = parseSourceSettings(input.kind, input.settings);
    const credentials = parseSourceCredentials(input.kind, input.credentials);
    if (await this.sources.findOne({ where: { name: input.name } })) throw new ConflictError(`a billing source named '${input.name}' exists`);
    const saved = await this.sources.manager.transaction(async (m) => {
      const source = await m.save(m.create(BillingSourceEntity, { name: input.name, kind: input.kind, settings, schedule: input.schedule ?? null, enabled: input.enabled }));
      if (credentials) {
        source.credentials_ciphertext = this.cipher.encrypt(credentials, source.id);
        await m.save(source);
      }
      return source;
    });
    await this.applySchedule(saved);
    return sourceView(saved);
  }

  async list(): Promise<BillingSourceView[]> {
    return (await this.sources.find({ order: { created_at: 'ASC' } })).map(sourceView);
  }

  async get(id: string): Promise<BillingSourceEntity> {
    const source = /^[0-9a-f-]{36}$/i.test(id) ? await this.sources.findOne({ where: { id } }) : null;
    if (!source) throw new NotFoundError('billing source', id);
    return source;
  }

  async findByName(name: string): Promise<BillingSourceEntity | null> {
    return this.sources.findOne({ where: { name } });
  }

  async update(id: string, body: unknown): Promise<BillingSourceView> {
    const input = parseOrThrow(updateSourceSchema, body, { whole: '(body)' });
    const source = await this.get(id);
    const kind = source.kind as BillingSourceKind;
    if (input.name !== undefined && input.name !== source.name) {
      if (await this.sources.findOne({ where: { name: input.name } })) throw new ConflictError(`a billing source named '${input.name}' exists`);
      source.name = input.name;
    }
    if (input.settings !== undefined) source.settings = parseSourceSettings(kind, input.settings);
    if (input.credentials !== undefined) {
      const credentials = parseSourceCredentials(kind, input.credentials);
      source.credentials_ciphertext = credentials ? this.cipher.encrypt(credentials, source.id) : null;
    }
    if (input.schedule !== undefined) source.schedule = input.schedule;
    if (input.enabled !== undefined) source.enabled = input.enabled;
    const saved = await this.sources.save(source);
    await this.applySchedule(saved);
    return sourceView(saved);
  }

  credentials(source: BillingSourceEntity): Record<string, unknown> | undefined {
    return source.credentials_ciphertext ? this.cipher.decrypt(source.credentials_ciphertext, source.id) : undefined;
  }

  /** Queues an on-demand sync; a sync of the same source already waiting absorbs it (BullMQ deduplication). */
  async requestSync(id: string, period: string | undefined): Promise<{ jobId: string }> {
    const source = await this.get(id);
    const data: BillingSyncJob = { sourceId: source.id, period, trigger: 'manual' };
    const job = await this.queues.queue(QueueName.BillingSync).add('sync', data, billingSyncJobOptions(source.id));
    return { jobId: String(job.id) };
  }

  async history(id: string, limit = 50): Promise<ReturnType<typeof runView>[]> {
    await this.get(id);
    return (await this.runs.find({ where: { source_id: id }, order: { started_at: 'DESC' }, take: limit })).map(runView);
  }

  private async applySchedule(source: BillingSourceEntity): Promise<void> {
    const queue = this.queues.queue(QueueName.BillingSync);
    const schedulerId = `billing-source:${source.id}`;
    if (!source.schedule || !source.enabled) {
      await queue.removeJobScheduler(schedulerId);
      return;
    }
    const data: BillingSyncJob = { sourceId: source.id, trigger: 'schedule' };
    await queue.upsertJobScheduler(schedulerId, schedulerRepeat(source.schedule), { name: 'sync', data, opts: billingSyncJobOptions(source.id) });
  }
}
