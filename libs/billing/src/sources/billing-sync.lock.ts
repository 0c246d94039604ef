import { DataSource } from 'typeorm';

// Per process, not per instance: the api and the worker share one process in embedded mode.
const chains = new Map<string, Promise<unknown>>();

/**
 * Serialises syncs (and deletion) of one source: in this process by a per-source promise chain, across processes by
 * a PostgreSQL session advisory lock held on a dedicated connection for the whole run. Two processes re-syncing the
 * same source would otherwise both stage into its staging partitions and swap in twice the lines. (Embedded
 * PostgreSQL is one session shared by one process, where the advisory lock is re-entrant and the chain does the work.)
 */
export class BillingSyncLock {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `fn` holding the source's lock, waiting for it. */
  async with<T>(sourceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = chains.get(sourceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.holding(sourceId, 'pg_advisory_lock', fn));
    chains.set(sourceId, next);
    try {
      return (await next) as T;
    } finally {
      if (chains.get(sourceId) === next) chains.delete(sourceId);
    }
  }

  /** Runs `fn` only if nobody holds the source's lock now (in this process or another); returns whether it ran. */
  async ifFree(sourceId: string, fn: () => Promise<void>): Promise<boolean> {
    if (chains.has(sourceId)) return false;
    const ran = await this.holding(sourceId, 'pg_try_advisory_lock', async () => {
      await fn();
      return true;
    });
    return ran === true;
  }

  private async holding<T>(sourceId: string, acquire: 'pg_advisory_lock' | 'pg_try_advisory_lock', fn: () => Promise<T>): Promise<T | false> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const key = `billing-sync:${sourceId}`;
    try {
      const [row] = (await runner.query(`SELECT ${acquire}(hashtextextended($1, 0)) AS locked`, [key])) as { locked: unknown }[];
      if (acquire === 'pg_try_advisory_lock' && row?.locked !== true) return false;
      try {
        return await fn();
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      await runner.release();
    }
  }
}
