import { AppConfig, ConfigError, Logger, ShutdownCoordinator, loadConfig, setLogLevel, storeModes } from '@tollgate/core';
import { EntityTarget, Stores } from '@tollgate/storage';

/** What each app contributes to a process: it starts on open stores and registers its own shutdown hooks. */
export interface AppStarter {
  name: string;
  /** TypeORM entities the app's modules use; the launcher opens one DataSource with all of them. */
  entities: EntityTarget[];
  start(stores: Stores, shutdown: ShutdownCoordinator): Promise<{ url: string }>;
  /** Whether the app reads or writes ClickHouse (default true); a process whose apps all say no leaves it closed. */
  usesClickHouse?: boolean;
  /** Whether the app uses PostgreSQL and the job queues (default true); likewise left closed when no app does. */
  usesPostgres?: boolean;
}

export interface RunningProcess {
  stores: Stores;
  shutdown: ShutdownCoordinator;
  urls: Record<string, string>;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** Separate processes (start:api, …) must not open the embedded stores: chDB allows one process per data dir. */
  requireServers?: boolean;
  /** Install SIGTERM/SIGINT handlers (true for real processes, false in tests). */
  handleSignals?: boolean;
}

/**
 * Boots one process: config once, stores, migrations, then each app. Returns handles so tests can stop and
 * restart in-process; real entry points also get signal handling.
 */
export async function launch(env: Record<string, string | undefined>, starters: AppStarter[], options: LaunchOptions = {}): Promise<RunningProcess> {
  const config: AppConfig = loadConfig(env);
  setLogLevel(config.LOG_LEVEL);
  const logger = new Logger('launcher');
  const usesClickHouse = starters.some((s) => s.usesClickHouse !== false);
  const usesPostgres = starters.some((s) => s.usesPostgres !== false);
  if (options.requireServers) {
    const modes = storeModes(config);
    const missing = [usesPostgres && modes.postgres === 'embedded' ? 'DATABASE_URL' : '', usesClickHouse && modes.clickhouse === 'embedded' ? 'CLICKHOUSE_URL' : ''].filter(Boolean);
    if (missing.length) {
      throw new ConfigError(
        `${missing.join(' and ')} must be set when the apps run as separate processes; use \`npm start\` for the all-in-one process on embedded stores`,
      );
    }
  }
  const started = Date.now();
  const stores = await Stores.open(config, { clickhouse: usesClickHouse, postgres: usesPostgres });
  const shutdown = new ShutdownCoordinator(config.SHUTDOWN_TIMEOUT_MS);
  shutdown.register('stores', 'stores', () => stores.close());
  const urls: Record<string, string> = {};
  try {
    await stores.migrate();
    if (usesPostgres) await stores.initializeDataSource([...new Set(starters.flatMap((s) => s.entities))]);
    for (const starter of starters) {
      const { url } = await starter.start(stores, shutdown);
      urls[starter.name] = url;
    }
  } catch (error) {
    await shutdown.shutdown('boot failed').catch(() => undefined);
    throw error;
  }
  logger.info('tollgate ready', { ms: Date.now() - started, modes: stores.modes, ...urls });
  if (options.handleSignals) shutdown.handleSignals();
  return { stores, shutdown, urls, stop: () => shutdown.shutdown('stop') };
}

/** Entry-point wrapper: prints a config error as one clear line and exits non-zero. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tollgate: ${message}\n`);
    if (!(error instanceof ConfigError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
