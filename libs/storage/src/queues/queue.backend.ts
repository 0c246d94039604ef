import { Job, Processor, Queue, QueueEvents, Worker, WorkerOptions, createPostgresBackend } from 'bullmq';
import IORedis from 'ioredis';
import { Logger, UnavailableError } from '@tollgate/core';

export type QueueTarget = {
  kind: 'redis' | 'postgres';
  url: string;
  prefix: string;
  /**
   * Whether PostgreSQL's NOTIFY reaches a listening worker. Not through pglite-socket (embedded mode): every client
   * shares one session, so the notification is answered to the producer's socket. Workers then poll instead.
   */
  notifyReachesListeners?: boolean;
};

/** How long an embedded-mode worker or event listener waits before it looks again (seconds). */
const EMBEDDED_POLL_SECONDS = 1;

// Queue/Worker are generic over their backend; code above this layer only sees the common surface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyQueue = Queue<any, any, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorker = Worker<any, any, string>;
export type { Job, Processor };

/**
 * Creates BullMQ queues, workers and event listeners on Redis or on BullMQ's PostgreSQL backend.
 * Callers never learn which: the embedded mode and the server mode differ only in the target passed here.
 */
export class QueueBackend {
  private readonly queues = new Map<string, AnyQueue>();
  private readonly closables: Array<{ close(): Promise<void> }> = [];
  private redis?: IORedis;
  private readonly logger = new Logger('queues');
  private readonly lastWarned = new Map<string, number>();

  constructor(readonly target: QueueTarget) {}

  get kind(): QueueTarget['kind'] {
    return this.target.kind;
  }

  queue(name: string): AnyQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = this.target.kind === 'redis'
        ? new Queue(name, { connection: this.redisConnection(), prefix: this.target.prefix })
        : (new Queue(name, { connection: this.postgresConnection(), prefix: this.target.prefix }, createPostgresBackend) as unknown as AnyQueue);
      // A store outage surfaces as 'error' events; without a listener Node would crash the process on them.
      queue.on('error', (error) => this.warnThrottled('queue error', { queue: name, error }));
      this.queues.set(name, queue);
      this.closables.push(queue);
    }
    return queue;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  worker<D = any, R = any>(name: string, processor: Processor<D, R>, opts: Omit<WorkerOptions, 'connection'> = {}): Worker<D, R> {
    const worker = this.target.kind === 'redis'
      ? new Worker<D, R>(name, processor, { ...opts, connection: this.redisConnection(), prefix: this.target.prefix })
      : (new Worker<D, R>(
          name,
          processor,
          // Idle workers wait on LISTEN with drainDelay as the timeout; where NOTIFY cannot arrive, that timeout is
          // what wakes them, so it bounds a new job's wait at a cost of one idle query a second per worker.
          { drainDelay: EMBEDDED_POLL_SECONDS, ...opts, connection: this.postgresConnection(), prefix: this.target.prefix } as WorkerOptions,
          createPostgresBackend as never,
        ) as Worker<D, R>);
    if (this.target.kind === 'postgres' && this.target.notifyReachesListeners === false) {
      // With a delayed job due later (a billing schedule's next run, hours away) BullMQ waits for NOTIFY up to the
      // backend's ceiling (an hour on PostgreSQL) instead of drainDelay: a job added meanwhile would sit there that long.
      Object.defineProperty(worker, 'maximumBlockTimeout', { get: () => EMBEDDED_POLL_SECONDS });
    }
    worker.on('error', (error) => this.warnThrottled('worker error', { queue: name, error }));
    this.closables.push(worker);
    return worker;
  }

  events(name: string): QueueEvents {
    const events = this.target.kind === 'redis'
      ? new QueueEvents(name, { connection: this.redisConnection(), prefix: this.target.prefix })
      : (new QueueEvents(
          name,
          // Same reason as workers' drainDelay: on the embedded backend the poll timeout, not NOTIFY, delivers events.
          { blockingTimeout: EMBEDDED_POLL_SECONDS * 1000, connection: this.postgresConnection(), prefix: this.target.prefix } as never,
          createPostgresBackend as never,
        ) as QueueEvents);
    events.on('error', (error) => this.warnThrottled('queue events error', { queue: name, error }));
    this.closables.push(events);
    return events;
  }

  /** Resolves when the backend answers; throws UnavailableError otherwise. */
  async ping(): Promise<void> {
    try {
      const queue = this.queue(QueuePing.queueName);
      await queue.getJobCounts('waiting');
    } catch (error) {
      throw new UnavailableError(`queue backend (${this.kind}) unreachable`, error);
    }
  }

  /** Closes workers first (they wait for their active jobs), then queues and connections. */
  async close(): Promise<void> {
    const workers = this.closables.filter((c) => c instanceof Worker);
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(this.closables.filter((c) => !(c instanceof Worker)).map((c) => c.close()));
    this.closables.length = 0;
    this.queues.clear();
    if (this.redis) {
      await this.redis.quit().catch(() => this.redis?.disconnect());
      this.redis = undefined;
    }
  }

  /** A dead store emits the same error on every reconnect attempt; say it once per 30 s per message. */
  private warnThrottled(message: string, fields: { error: Error; queue?: string }): void {
    const key = `${message}:${fields.queue ?? ''}:${fields.error.message}`;
    const now = Date.now();
    if ((this.lastWarned.get(key) ?? 0) > now - 30_000) return;
    this.lastWarned.set(key, now);
    this.logger.warn(message, fields);
  }

  private redisConnection(): IORedis {
    // One shared client for producers; BullMQ duplicates it for workers' blocking reads.
    // maxRetriesPerRequest: null is what BullMQ requires so blocking commands survive reconnects.
    if (!this.redis) {
      this.redis = new IORedis(this.target.url, { maxRetriesPerRequest: null });
      this.redis.on('error', (error) => this.warnThrottled('redis error', { error }));
    }
    return this.redis;
  }

  private postgresConnection() {
    // `migrate: true` creates BullMQ's schema on first use; a small pool per queue keeps the embedded
    // PGlite (one session shared by every socket) from being flooded.
    return { connectionString: this.target.url, migrate: true, max: 4 };
  }
}

const QueuePing = { queueName: 'system' };
