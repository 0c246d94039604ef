import { join, resolve } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { Pool } from 'pg';
import { DataSource, EntitySchema } from 'typeorm';
import { AppConfig, Logger, UnavailableError, storeModes } from '@tollgate/core';
import { createClickHouseClient } from './clickhouse/clickhouse.factory';
import { ClickHouseMigrator } from './clickhouse/clickhouse.migrator';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded/embedded-postgres';
import { migratePostgres, postgresDataSourceOptions } from './postgres/postgres.options';
import { QueueBackend } from './queues/queue.backend';
import { projectRoot } from './project-paths';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EntityTarget = Function | EntitySchema<any>;

export interface CheckResult {
  ok: boolean;
  mode: string;
  ms: number;
  error?: string;
}

export type StoreCheck = 'postgres' | 'clickhouse' | 'queue' | 'migrations';

/** A check an app adds to its readiness beside the stores' (e.g. the proxy's catalogue): throws when not ready. */
export interface ReadinessProbe {
  mode: string;
  probe(): Promise<void> | void;
}

export interface StoresOptions {
  /**
   * Open ClickHouse (default true). A separate proxy leaves it closed: its telemetry goes to the collector, so it
   * needs neither chDB's threads nor a reachable ClickHouse to start.
   */
  clickhouse?: boolean;
  /**
   * Open PostgreSQL (default true), and with it the job queues, which live in PostgreSQL or Redis beside the state
   * their jobs are about. A separate proxy leaves both closed: catalogue and prices come from the api.
   */
  postgres?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<StoreCheck, CheckResult> & Record<string, CheckResult>;
}

/**
 * The three stores of one process, opened from config. In embedded mode this starts PGlite (served on loopback)
 * and chDB under TOLLGATE_DATA_DIR; in server mode it connects to the URLs. Everything above gets a postgres URL,
 * a ClickHouse client and a queue backend, and cannot tell the modes apart.
 */
export class Stores {
  private readonly logger = new Logger('stores');
  private migrationsVerified = false;
  private closed = false;
  private openDataSource?: DataSource;

  private constructor(
    readonly config: AppConfig,
    private readonly postgres: { url: string; queues: QueueBackend; healthPool: Pool } | undefined,
    private readonly clickhouseClient: ClickHouseClient | undefined,
    private readonly embeddedPostgres?: EmbeddedPostgres,
  ) {}

  static async open(config: AppConfig, options: StoresOptions = {}): Promise<Stores> {
    const dataDir = resolve(config.TOLLGATE_DATA_DIR);
    let embeddedPostgres: EmbeddedPostgres | undefined;
    let postgresUrl: string | undefined;
    if (options.postgres !== false) {
      postgresUrl = config.DATABASE_URL;
      if (!postgresUrl) {
        embeddedPostgres = await startEmbeddedPostgres(join(dataDir, 'postgres'), config.EMBEDDED_POSTGRES_PORT);
        postgresUrl = embeddedPostgres.url;
      }
    }
    let clickhouse: ClickHouseClient | undefined;
    try {
      if (options.clickhouse !== false) {
        clickhouse = await createClickHouseClient({
          url: config.CLICKHOUSE_URL,
          embeddedDir: join(dataDir, 'clickhouse'),
          database: config.CLICKHOUSE_DATABASE,
        });
      }
    } catch (error) {
      await embeddedPostgres?.stop();
      throw new UnavailableError(`ClickHouse unreachable: ${(error as Error).message}`, error);
    }
    if (postgresUrl === undefined) return new Stores(config, undefined, clickhouse);
    const queues = new QueueBackend(
      config.REDIS_URL
        ? { kind: 'redis', url: config.REDIS_URL, prefix: config.QUEUE_PREFIX }
        : { kind: 'postgres', url: postgresUrl, prefix: config.QUEUE_PREFIX, notifyReachesListeners: !embeddedPostgres },
    );
    const healthPool = new Pool({ connectionString: postgresUrl, max: 2, connectionTimeoutMillis: 5000 });
    // An idle pooled client that errors (server restart) must not crash the process.
    healthPool.on('error', () => undefined);
    return new Stores(config, { url: postgresUrl, queues, healthPool }, clickhouse, embeddedPostgres);
  }

  /** PostgreSQL's URL (the embedded one's when embedded); a process that opened its stores without it has none. */
  get postgresUrl(): string {
    return this.openedPostgres().url;
  }

  /** The job queues (PostgreSQL- or Redis-backed); opened with PostgreSQL. */
  get queues(): QueueBackend {
    return this.openedPostgres().queues;
  }

  private openedPostgres() {
    if (!this.postgres) throw new Error('PostgreSQL is not opened in this process (its apps declared they do not use it)');
    return this.postgres;
  }

  /** The ClickHouse client; a process that opened its stores without ClickHouse has none. */
  get clickhouse(): ClickHouseClient {
    if (!this.clickhouseClient) throw new Error('ClickHouse is not opened in this process (its apps declared they do not use it)');
    return this.clickhouseClient;
  }

  get modes() {
    return storeModes(this.config);
  }

  /**
   * Opens the process's one TypeORM DataSource with every entity the process's apps declared. Called by the
   * launcher after migrations; a second call with more entities is refused (metadata is built once).
   */
  async initializeDataSource(entities: EntityTarget[]): Promise<DataSource> {
    if (this.openDataSource) throw new Error('the DataSource is already initialized');
    const dataSource = new DataSource(postgresDataSourceOptions(this.postgresUrl, entities));
    await dataSource.initialize();
    this.openDataSource = dataSource;
    return dataSource;
  }

  get dataSource(): DataSource {
    if (!this.openDataSource) throw new Error('the DataSource is not initialized; the launcher opens it after migrations');
    return this.openDataSource;
  }

  clickhouseMigrator(): ClickHouseMigrator {
    return new ClickHouseMigrator(this.clickhouse, join(projectRoot(), 'migrations', 'clickhouse'));
  }

  /** Applies both stores' pending migrations. Idempotent. */
  async migrate(): Promise<{ postgres: string[]; clickhouse: string[] }> {
    const postgres = this.postgres ? await migratePostgres(this.postgres.url) : [];
    const clickhouse = this.clickhouseClient ? await this.clickhouseMigrator().migrate() : [];
    if (postgres.length || clickhouse.length) this.logger.info('migrations applied', { postgres, clickhouse });
    this.migrationsVerified = false;
    return { postgres, clickhouse };
  }

  /**
   * Probes every store, and the app's own `extra` checks alike (same timeout, same report); never throws — a
   * failing check is reported with its error.
   */
  async readiness(extra: Record<string, ReadinessProbe> = {}, options: { requiredChecks?: string[] } = {}): Promise<ReadinessReport> {
    const timeoutMs = this.config.READINESS_TIMEOUT_MS;
    const extraNames = Object.keys(extra);
    const [[postgres, clickhouse, queue, migrations], extraResults] = await Promise.all([
      this.storeChecks(timeoutMs),
      Promise.all(extraNames.map((name) => timed(extra[name].mode, async () => extra[name].probe(), timeoutMs))),
    ]);
    const checks: ReadinessReport['checks'] = { postgres, clickhouse, queue, migrations };
    extraNames.forEach((name, i) => (checks[name] = extraResults[i]));
    // An app that can serve with some stores down (a separate proxy: it spools telemetry, prices from memory) names
    // the checks its readiness rests on; the others are still reported.
    const required = options.requiredChecks ?? Object.keys(checks);
    return { ready: required.every((name) => checks[name]?.ok === true), checks };
  }

  private storeChecks(timeoutMs: number): Promise<CheckResult[]> {
    return Promise.all([
      this.postgres ? timed(this.modes.postgres, () => this.postgres!.healthPool.query('SELECT 1').then(() => undefined), timeoutMs) : unused(),
      this.clickhouseCheck(timeoutMs),
      this.postgres ? timed(this.modes.queue, () => this.postgres!.queues.ping(), timeoutMs) : unused(),
      this.postgres || this.clickhouseClient ? timed('both', () => this.verifyMigrations(), timeoutMs) : unused(),
    ]);
  }

  private clickhouseCheck(timeoutMs: number): Promise<CheckResult> {
    const client = this.clickhouseClient;
    if (!client) return unused();
    return timed(
      this.modes.clickhouse,
      async () => {
        const result = await client.ping();
        if (!result.success) throw result.error;
      },
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.postgres?.queues.close();
    await this.postgres?.healthPool.end();
    if (this.openDataSource?.isInitialized) await this.openDataSource.destroy();
    await this.clickhouseClient?.close();
    await this.embeddedPostgres?.stop();
  }

  private async verifyMigrations(): Promise<void> {
    // Once every migration is seen applied it stays so for the life of the process; skip the re-check.
    if (this.migrationsVerified) return;
    const pendingClickhouse = this.clickhouseClient ? await this.clickhouseMigrator().pending() : [];
    const pendingPostgres = this.postgres ? await pendingPostgresMigrations(this.postgres.url) : false;
    if (pendingClickhouse.length || pendingPostgres) {
      throw new Error(
        `pending migrations: ${[pendingPostgres ? 'postgres' : '', pendingClickhouse.length ? `clickhouse ${pendingClickhouse.join(',')}` : '']
          .filter(Boolean)
          .join('; ')}`,
      );
    }
    this.migrationsVerified = true;
  }
}

/** A store this process did not open (a separate proxy's): reported as unused rather than probed. */
function unused(): Promise<CheckResult> {
  return Promise.resolve({ ok: true, mode: 'unused', ms: 0 });
}

async function pendingPostgresMigrations(url: string): Promise<boolean> {
  const dataSource = new DataSource(postgresDataSourceOptions(url));
  await dataSource.initialize();
  try {
    return await dataSource.showMigrations();
  } finally {
    await dataSource.destroy();
  }
}

async function timed(mode: string, probe: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, mode, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, mode, ms: Date.now() - started, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
