import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { compiledRoot } from '../project-paths';

/** Every Tollgate table lives in this schema; BullMQ's live in `bullmq`. */
export const TOLLGATE_SCHEMA = 'tollgate';

/**
 * TypeORM options for Tollgate's config and workflow store. The same options serve an embedded PGlite URL
 * and a real server; nothing above this knows which. `synchronize` is off: the schema is the migrations'.
 */
export function postgresDataSourceOptions(url: string, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    schema: TOLLGATE_SCHEMA,
    entities,
    migrations: [join(compiledRoot(), 'migrations', 'postgres', '*.js')],
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: { max: 10, connectionTimeoutMillis: 10000 },
  };
}

/** Applies pending migrations; safe to run twice and from several processes (TypeORM takes an advisory lock). */
export async function migratePostgres(url: string): Promise<string[]> {
  const dataSource = new DataSource(postgresDataSourceOptions(url));
  await dataSource.initialize();
  try {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${TOLLGATE_SCHEMA}`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** True when every migration file has been applied. */
export async function postgresMigrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
