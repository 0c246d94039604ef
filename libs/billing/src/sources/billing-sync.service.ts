import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ClickHouseClient } from '@clickhouse/client';
import { DataSource, Repository } from 'typeorm';
import { APP_CONFIG, AppConfig, Logger, ValidationError } from '@tollgate/core';
import { BillingEgressPolicy } from '../egress/billing-egress.policy';
import { sourceEndpoints } from '../egress/billing-source.endpoints';
import { LocalFileRoots } from '../files/local-file.roots';
import { CLICKHOUSE } from '@tollgate/storage';
import { AzureBlobFilesConnector } from '../connectors/azure-blob-files.connector';
import { AzureCostQueryConnector } from '../connectors/azure-cost-query.connector';
import { BigQueryBillingConnector } from '../connectors/bigquery-billing.connector';
import { BillingConnector, CollectedInput } from '../connectors/billing.connector';
import { CostExplorerConnector } from '../connectors/cost-explorer.connector';
import { LocalFilesConnector } from '../connectors/local-files.connector';
import { OpenCostConnector } from '../connectors/opencost.connector';
import { GpuAllocationsRepository } from '../gpu/gpu-allocations.repository';
import { S3FilesConnector } from '../connectors/s3-files.connector';
import { BillingFileRef } from '../files/billing-file.ingester';
import { ClickHouseFileAccess } from '../files/clickhouse-file-access';
import { BillingInputError } from '../ledger/billing-ledger.repository';
import { BillingLedgerSync } from '../ledger/billing-ledger.sync';
import { BillingSourceEntity, BillingSyncRunEntity } from './billing-source.entity';
import { BillingSourceKind, parseSourceSettings } from './billing-source.settings';
import { BillingSyncLock } from './billing-sync.lock';
import { BillingSourcesService, runView } from './billing-sources.service';
import { SELF_HOSTED_DEPLOYMENTS, SelfHostedDeploymentSource } from './self-hosted-deployments.port';

export interface SyncOptions {
  /** Month to restate (YYYY-MM); omitted = what is new since the cursor. */
  period?: string;
  trigger: 'schedule' | 'manual' | 'upload';
  attempt?: number;
  /** Files handed in directly (uploads) instead of collected by the source's connector. */
  files?: BillingFileRef[];
}

const FILE_AND_API_CONNECTORS: Record<string, BillingConnector | undefined> = {
  'local-files': new LocalFilesConnector(),
  's3-files': new S3FilesConnector(),
  'azure-blob-files': new AzureBlobFilesConnector(),
  'aws-cost-explorer': new CostExplorerConnector(),
  'azure-cost-query': new AzureCostQueryConnector(),
  'gcp-bigquery': new BigQueryBillingConnector(),
};

/**
 * Runs one sync of one source end to end and records it in the sync history: collect (connector), stage + validate +
 * swap (ledger), then the run row and the source's cursor. A failed run is recorded with its error and rethrown.
 */
@Injectable()
export class BillingSyncService implements OnApplicationBootstrap {
  private readonly logger = new Logger('billing-sync');
  private readonly runs: Repository<BillingSyncRunEntity>;
  private readonly sourcesRepo: Repository<BillingSourceEntity>;
  private readonly ledger: BillingLedgerSync;
  private readonly workRoot: string;
  private readonly gpu: GpuAllocationsRepository;
  private readonly openCost: OpenCostConnector;
  private readonly fileAccess: ClickHouseFileAccess;
  private readonly lock: BillingSyncLock;
  private readonly egress: BillingEgressPolicy;
  private readonly localRoots: LocalFileRoots;

  constructor(
    dataSource: DataSource,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sources: BillingSourcesService,
    @Inject(SELF_HOSTED_DEPLOYMENTS) deployments: SelfHostedDeploymentSource,
  ) {
    this.runs = dataSource.getRepository(BillingSyncRunEntity);
    this.sourcesRepo = dataSource.getRepository(BillingSourceEntity);
    this.workRoot = join(resolve(config.TOLLGATE_DATA_DIR), 'billing', 'work');
    this.fileAccess = ClickHouseFileAccess.fromConfig(config, this.workRoot);
    this.ledger = new BillingLedgerSync(clickhouse, this.fileAccess.pathForClickHouse);
    this.gpu = new GpuAllocationsRepository(clickhouse);
    this.openCost = new OpenCostConnector(() => deployments.listSelfHostedDeployments());
    this.lock = new BillingSyncLock(dataSource);
    this.egress = new BillingEgressPolicy(config.BILLING_EGRESS_ALLOWED_HOSTS);
    this.localRoots = LocalFileRoots.fromConfig(config);
  }

  /** A run left `running` by a crash or restart is marked failed at start (unless another process is running it now). */
  async onApplicationBootstrap(): Promise<void> {
    const stale = (await this.runs.createQueryBuilder('r').select('DISTINCT r.source_id', 'source_id').where(`r.status = 'running'`).getRawMany()) as { source_id: string }[];
    for (const { source_id } of stale) await this.lock.ifFree(source_id, () => this.failInterrupted(source_id));
  }

  /** Only called holding the source's lock: nothing else can be running a sync of it. */
  private async failInterrupted(sourceId: string): Promise<void> {
    const result = await this.runs.update(
      { source_id: sourceId, status: 'running' },
      { status: 'failed', error: 'interrupted: the process running this sync stopped before it finished', finished_at: new Date() },
    );
    if (result.affected) this.logger.warn('billing sync runs marked failed after an interruption', { sourceId, runs: result.affected });
  }

  get workDirectory(): string {
    return this.workRoot;
  }

  /** Runs one sync holding the source's lock (one sync per source at a time, across processes). */
  async run(sourceId: string, options: SyncOptions): Promise<ReturnType<typeof runView>> {
    const { id } = await this.sources.get(sourceId);
    return this.lock.with(id, async () => {
      await this.failInterrupted(id);
      // Read again holding the lock: a sync that ran meanwhile moved the cursor, a change or a deletion may have landed.
      return this.runLocked(await this.sources.get(id), options);
    });
  }

  private async runLocked(source: BillingSourceEntity, options: SyncOptions): Promise<ReturnType<typeof runView>> {
    const period = options.period ? `${options.period}-01` : undefined;
    const now = new Date();
    const run = await this.runs.save(
      this.runs.create({
        source_id: source.id,
        period_start: period ? new Date(`${period}T00:00:00Z`) : now,
        period_end: period ? addMonths(new Date(`${period}T00:00:00Z`), 1) : now,
        status: 'running',
        trigger: options.trigger,
        attempt: options.attempt ?? 1,
        inputs: [],
      }),
    );
    const started = Date.now();
    const workDir = join(this.workRoot, run.id);
    mkdirSync(workDir, { recursive: true });
    this.logger.info('billing sync started', { source: source.name, kind: source.kind, run: run.id, period, trigger: options.trigger });
    try {
      const collected = await this.collect(source, options, period, workDir, now);
      run.inputs = collected.inputs;
      if (collected.unchanged) {
        run.status = 'succeeded';
      } else if (collected.gpuAllocations) {
        const totals = await this.gpu.replace({ sourceId: source.id, syncRunId: run.id, ingestVersion: started }, collected.periods ?? [], collected.gpuAllocations);
        run.status = 'succeeded';
        run.row_count = collected.gpuAllocations.length;
        run.totals = totals;
        const periods = collected.periods ?? [];
        if (periods.length) {
          run.period_start = new Date(`${periods[0]}T00:00:00Z`);
          run.period_end = addMonths(new Date(`${periods[periods.length - 1]}T00:00:00Z`), 1);
        }
      } else {
        const result = await this.ledger.sync({
          sourceId: source.id,
          sourceKind: source.kind,
          syncRunId: run.id,
          ingestVersion: started,
          files: await this.fileAccess.bringIntoReach(collected.files, workDir),
          periods: collected.periods,
          skipOutsidePeriods: collected.skipOutsidePeriods,
        });
        run.status = 'succeeded';
        run.row_count = result.rows;
        run.totals = result.totals;
        run.format = result.formats.join(',') || null;
        if (result.periods.length) {
          run.period_start = new Date(`${result.periods[0]}T00:00:00Z`);
          run.period_end = addMonths(new Date(`${result.periods[result.periods.length - 1]}T00:00:00Z`), 1);
        }
      }
      run.finished_at = new Date();
      run.duration_ms = Date.now() - started;
      await this.runs.save(run);
      if (collected.cursor) await this.sourcesRepo.update({ id: source.id }, { sync_cursor: collected.cursor as never });
      this.logger.info('billing sync done', { source: source.name, run: run.id, rows: run.row_count, unchanged: !!collected.unchanged, ms: run.duration_ms });
      return runView(run);
    } catch (error) {
      run.status = 'failed';
      run.error = (error as Error).message.slice(0, 2000);
      run.error_line = error instanceof BillingInputError ? (error.line ?? null) : null;
      run.finished_at = new Date();
      run.duration_ms = Date.now() - started;
      await this.runs.save(run);
      this.logger.warn('billing sync failed', { source: source.name, run: run.id, error: run.error });
      throw error;
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  private async collect(source: BillingSourceEntity, options: SyncOptions, period: string | undefined, workDir: string, now: Date): Promise<CollectedInput> {
    if (options.files) {
      return { files: options.files, periods: period ? [period] : undefined, inputs: options.files.map((f) => f.name), cursor: null };
    }
    const connector = source.kind === 'opencost' ? this.openCost : FILE_AND_API_CONNECTORS[source.kind];
    if (!connector) throw ValidationError.field('kind', `a ${source.kind} source is synced by uploading files (POST /v1/billing/uploads)`);
    const credentials = this.sources.credentials(source);
    // Stored settings are checked again at every run: the allowlist may have changed since the source was saved.
    const settings = parseSourceSettings(source.kind as BillingSourceKind, source.settings);
    for (const endpoint of sourceEndpoints(source.kind as BillingSourceKind, settings, credentials)) this.egress.check(endpoint.url, endpoint.setting);
    return connector.collect({ source, settings: source.settings, credentials, period, workDir, now, egress: this.egress, localRoots: this.localRoots });
  }

  /** A path for an upload's bytes before it is ingested (inside the data dir, which ClickHouse reads in embedded mode). */
  uploadPath(fileName: string): string {
    const dir = join(this.workRoot, 'uploads');
    mkdirSync(dir, { recursive: true });
    return join(dir, `${randomUUID()}-${fileName.replace(/[^A-Za-z0-9._-]/g, '_').slice(-120)}`);
  }
}

function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}
