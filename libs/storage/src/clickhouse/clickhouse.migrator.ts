import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { Logger } from '@tollgate/core';

export interface ClickHouseMigrationFile {
  version: number;
  name: string;
  upPath: string;
  downPath?: string;
  checksum: string;
}

export class MigrationChecksumError extends Error {
  constructor(readonly file: string) {
    super(`ClickHouse migration ${file} was edited after it was applied; add a new migration instead`);
    this.name = 'MigrationChecksumError';
  }
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.up\.sql$/;

/** Reads `NNNN_name.up.sql` (and its `.down.sql`) files in version order; rejects duplicate versions. */
export function readMigrationFiles(dir: string): ClickHouseMigrationFile[] {
  const files = readdirSync(dir);
  const migrations: ClickHouseMigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const file of files) {
    if (file.endsWith('.sql') && !file.endsWith('.up.sql') && !file.endsWith('.down.sql')) {
      throw new Error(`ClickHouse migration ${file}: name must be NNNN_name.up.sql or NNNN_name.down.sql`);
    }
    const match = FILE_PATTERN.exec(file);
    if (!match) continue;
    const version = Number(match[1]);
    if (seen.has(version)) throw new Error(`ClickHouse migrations ${seen.get(version)} and ${file} share version ${version}`);
    seen.set(version, file);
    const upPath = join(dir, file);
    const downName = file.replace(/\.up\.sql$/, '.down.sql');
    migrations.push({
      version,
      name: match[2],
      upPath,
      downPath: files.includes(downName) ? join(dir, downName) : undefined,
      checksum: createHash('sha256').update(readFileSync(upPath)).digest('hex'),
    });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies numbered .sql files in order and records version + checksum in `schema_migrations`.
 * Safe to run twice (applied versions are skipped; statements should use IF NOT EXISTS so a file cut off
 * half-way re-runs cleanly) and refuses to continue when an applied file has been edited.
 */
export class ClickHouseMigrator {
  private readonly logger = new Logger('clickhouse-migrator');

  constructor(
    private readonly client: ClickHouseClient,
    private readonly dir: string,
  ) {}

  async migrate(): Promise<string[]> {
    await this.ensureTable();
    const applied = await this.appliedChecksums();
    const done: string[] = [];
    for (const migration of readMigrationFiles(this.dir)) {
      const fileName = `${String(migration.version).padStart(4, '0')}_${migration.name}.up.sql`;
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) throw new MigrationChecksumError(fileName);
        continue;
      }
      const started = Date.now();
      for (const statement of splitStatements(readFileSync(migration.upPath, 'utf8'))) {
        await this.client.command({ query: statement });
      }
      await this.client.insert({
        table: 'schema_migrations',
        values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
        format: 'JSONEachRow',
      });
      this.logger.info('applied ClickHouse migration', { file: fileName, ms: Date.now() - started });
      done.push(fileName);
    }
    return done;
  }

  /** Reverts the newest `steps` applied migrations with their .down.sql files. */
  async rollback(steps = 1): Promise<string[]> {
    await this.ensureTable();
    const applied = await this.appliedChecksums();
    const files = readMigrationFiles(this.dir).filter((m) => applied.has(m.version)).reverse().slice(0, steps);
    const reverted: string[] = [];
    for (const migration of files) {
      if (!migration.downPath) throw new Error(`ClickHouse migration ${migration.version}_${migration.name} has no .down.sql`);
      for (const statement of splitStatements(readFileSync(migration.downPath, 'utf8'))) {
        await this.client.command({ query: statement });
      }
      await this.client.command({
        query: 'ALTER TABLE schema_migrations DELETE WHERE version = {version:UInt32}',
        query_params: { version: migration.version },
        clickhouse_settings: { mutations_sync: '2' },
      });
      reverted.push(`${migration.version}_${migration.name}`);
    }
    return reverted;
  }

  /** Versions on disk not yet applied (empty = up to date). */
  async pending(): Promise<number[]> {
    await this.ensureTable();
    const applied = await this.appliedChecksums();
    return readMigrationFiles(this.dir)
      .filter((m) => !applied.has(m.version))
      .map((m) => m.version);
  }

  private async ensureTable(): Promise<void> {
    await this.client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations (
        version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
    });
  }

  private async appliedChecksums(): Promise<Map<number, string>> {
    const result = await this.client.query({
      query: 'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version',
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ version: number | string; checksum: string }>();
    return new Map(rows.map((r) => [Number(r.version), r.checksum]));
  }
}
