import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ClickHouseClient } from '@clickhouse/client';
import { DataSource, Repository } from 'typeorm';
import { AuditLogService } from '@tollgate/audit';
import { APP_CONFIG, AppConfig, ConflictError, CredentialCipher, Logger, NotFoundError, ValidationError, loadSecretKeys, parseOrThrow } from '@tollgate/core';
import { CLICKHOUSE, QUEUES, QueueBackend, QueueName } from '@tollgate/storage';
import { BillingEgressPolicy } from '../egress/billing-egress.policy';
import { HOST_SETTINGS, sourceEndpoints } from '../egress/billing-source.endpoints';
import { LocalFileRoots } from '../files/local-file.roots';
import { GpuAllocationsRepository } from '../gpu/gpu-allocations.repository';
import { BillingLedgerRepository } from '../ledger/billing-ledger.repository';
import { BillingSourceEntity, BillingSyncRunEntity } from './billing-source.entity';
import { BillingSyncLock } from './billing-sync.lock';
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
    format: r.format,
  };
}

/** What deleting a source removed. */
export interface BillingSourceRemoval {
  id: string;
  name: string;
  deleted: { ledgerLines: number; gpuAllocations: number; syncRuns: number };
}

/**
 * Billing sources: configuration in PostgreSQL, credentials encrypted, one BullMQ job scheduler per scheduled source.
 * Every change is audit-logged with the caller as actor; where a source sends requests is checked against the egress
 * allowlist, and moving it to another host requires its credentials again.
 */
@Injectable()
export class BillingSourcesService implements OnApplicationBootstrap {
  private readonly sources: Repository<BillingSourceEntity>;
  private readonly runs: Repository<BillingSyncRunEntity>;
  private readonly cipher: CredentialCipher;
  private readonly egress: BillingEgressPolicy;
  private readonly localRoots: LocalFileRoots;
  private readonly ledger: BillingLedgerRepository;
  private readonly gpu: GpuAllocationsRepository;
  private readonly lock: BillingSyncLock;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(AuditLogService) private readonly auditLog: AuditLogService,
  ) {
    this.sources = dataSource.getRepository(BillingSourceEntity);
    this.runs = dataSource.getRepository(BillingSyncRunEntity);
    this.cipher = CredentialCipher.fromKeys(loadSecretKeys(config), 'billing-source-credentials');
    this.egress = new BillingEgressPolicy(config.BILLING_EGRESS_ALLOWED_HOSTS);
    this.localRoots = LocalFileRoots.fromConfig(config);
    this.ledger = new BillingLedgerRepository(clickhouse);
    this.gpu = new GpuAllocationsRepository(clickhouse);
    this.lock = new BillingSyncLock(dataSource);
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

  async create(body: unknown, actor = 'anonymous'): Promise<BillingSourceView> {
    const input = parseOrThrow(createSourceSchema, body, { whole: '(body)' });
    const settings = parseSourceSettings(input.kind, input.settings);
    const credentials = parseSourceCredentials(input.kind, input.credentials);
    this.checkReach(input.kind, settings, credentials);
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
    await this.audit(actor, 'billing-source.create', saved, { kind: saved.kind, credentials: credentials !== undefined });
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

  async update(id: string, body: unknown, actor = 'anonymous'): Promise<BillingSourceView> {
    const input = parseOrThrow(updateSourceSchema, body, { whole: '(body)' });
    const source = await this.get(id);
    const kind = source.kind as BillingSourceKind;
    if (input.settings !== undefined) {
      const settings = parseSourceSettings(kind, input.settings);
      this.requireCredentialsForNewHost(kind, source, settings, input.credentials !== undefined);
      this.checkReach(kind, settings, input.credentials !== undefined ? parseSourceCredentials(kind, input.credentials) : this.credentials(source));
    } else if (input.credentials !== undefined) {
      this.checkReach(kind, parseSourceSettings(kind, source.settings), parseSourceCredentials(kind, input.credentials));
    }
    const changed = Object.keys(input);
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
    await this.audit(actor, 'billing-source.update', saved, { changed });
    return sourceView(saved);
  }

  /**
   * Deletes a source with everything it brought: its ledger lines and GPU allocations (ClickHouse partitions, first,
   * so a failure leaves a source that can be deleted again rather than lines without a source), then its sync history
   * and configuration, its scheduler and an audit entry. Holds the source's sync lock, so no sync of it is mid-swap.
   */
  async remove(id: string, actor = 'anonymous'): Promise<BillingSourceRemoval> {
    const source = await this.get(id);
    await this.queues.queue(QueueName.BillingSync).removeJobScheduler(`billing-source:${source.id}`);
    return this.lock.with(source.id, async () => {
      const ledgerLines = await this.ledger.dropSource(source.id);
      const gpuAllocations = await this.gpu.dropSource(source.id);
      const syncRuns = await this.dataSource.transaction(async (m) => {
        const runs = await m.count(BillingSyncRunEntity, { where: { source_id: source.id } });
        await m.delete(BillingSyncRunEntity, { source_id: source.id });
        await m.delete(BillingSourceEntity, { id: source.id });
        return runs;
      });
      const removal = { id: source.id, name: source.name, deleted: { ledgerLines, gpuAllocations, syncRuns } };
      await this.audit(actor, 'billing-source.delete', source, { kind: source.kind, ...removal.deleted });
      return removal;
    });
  }

  /** An upload source by id (unknown id: 404) or by name (created on first use, as `upload` sources always were). */
  async uploadSource(ref: string, format: string | undefined, actor = 'anonymous'): Promise<BillingSourceEntity> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) {
      const byName = await this.findByName(ref);
      return byName ?? this.get(ref);
    }
    const existing = await this.findByName(ref);
    if (existing) return existing;
    const created = await this.create({ name: ref, kind: 'upload', settings: format ? { format } : {} }, actor);
    return this.get(created.id);
  }

  /** Every host the source would call must be allowed, and a local path must be inside the roots. */
  private checkReach(kind: BillingSourceKind, settings: Record<string, unknown>, credentials: Record<string, unknown> | undefined): void {
    for (const endpoint of sourceEndpoints(kind, settings, credentials)) this.egress.check(endpoint.url, endpoint.setting);
    if (kind === 'local-files') this.localRoots.checkSetting(String(settings.path));
  }

  /** Stored credentials follow a host change only when they are given again in the same request. */
  private requireCredentialsForNewHost(kind: BillingSourceKind, source: BillingSourceEntity, settings: Record<string, unknown>, credentialsGiven: boolean): void {
    if (credentialsGiven || !source.credentials_ciphertext) return;
    const before = parseSourceSettings(kind, source.settings);
    for (const key of HOST_SETTINGS[kind] ?? []) {
      if (JSON.stringify(before[key]) !== JSON.stringify(settings[key])) {
        throw ValidationError.field('credentials', `required when settings.${key} changes: stored credentials are never sent to a new host, so enter them again in the same request`);
      }
    }
  }

  private audit(actor: string, action: string, source: BillingSourceEntity, details: Record<string, unknown>): Promise<void> {
    return this.auditLog.record({ actor, action, entity: 'billing_source', entityId: source.id, details: { name: source.name, ...details } });
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
