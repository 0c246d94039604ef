import { Logger } from '@tollgate/core';
import { SpoolCursor, SpoolSegmentStore } from './spool-segment.store';

/**
 * Spooled events as read back from disk: NDJSON bytes, each event one line ending in a newline. Kept as bytes (off the
 * JS heap): a sink that forwards them (the collector's) never turns thousands of events into strings the garbage
 * collector would have to copy while the batch is in flight.
 */
export class SpoolBatch {
  constructor(
    readonly ndjson: Buffer,
    /** Events (lines) in the batch. */
    readonly count: number,
  ) {}

  static of(lines: string[]): SpoolBatch {
    return new SpoolBatch(Buffer.from(lines.map((l) => `${l}\n`).join('')), lines.length);
  }

  /** The events as JSON texts, for a sink that reads them. */
  lines(): string[] {
    const lines: string[] = [];
    for (let start = 0; start < this.ndjson.length; ) {
      const nl = this.ndjson.indexOf(0x0a, start);
      const end = nl === -1 ? this.ndjson.length : nl;
      lines.push(this.ndjson.toString('utf8', start, end));
      start = end + 1;
    }
    return lines;
  }

  /** The first half of the events and the rest, in order (for a destination that finds the batch too large). */
  halves(): [SpoolBatch, SpoolBatch] {
    const firstCount = Math.ceil(this.count / 2);
    let cut = 0;
    for (let i = 0; i < firstCount; i++) cut = this.ndjson.indexOf(0x0a, cut) + 1;
    return [new SpoolBatch(this.ndjson.subarray(0, cut), firstCount), new SpoolBatch(this.ndjson.subarray(cut), this.count - firstCount)];
  }
}

/** Where spooled events go once durable: the collector (HTTP) or ClickHouse (all-in-one). */
export interface TelemetrySink {
  /**
   * Delivers one batch of events in order. Resolves when they are stored; throws when the destination is unreachable
   * (the batch is retried, order kept). Events the destination rejects as invalid must be reported, not thrown, or
   * the spool would retry them forever.
   */
  send(batch: SpoolBatch): Promise<void>;
}

export interface SpoolOptions {
  /** How often buffered events are written and fsynced: the window of events at risk on kill -9. */
  syncIntervalMs?: number;
  /** Events per delivered batch at most (the collector sink splits a batch over its body limit). */
  batchSize?: number;
  /** A segment file rolls over past this size; fully delivered segments are deleted. */
  segmentBytes?: number;
  /** Retry backoff bounds while the sink is unreachable. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Hard cap on events held in memory when the disk itself fails (beyond it the oldest are dropped and counted). */
  maxBufferedEvents?: number;
  /**
   * Durable events are delivered at most this often unless a full batch is waiting: fewer, larger inserts keep the
   * sink's cost per event low (durability comes from the fsync, not from delivery).
   */
  deliveryIntervalMs?: number;
}

/**
 * Write-ahead spool for telemetry events. Every event is appended to an append-only segment file on disk (one JSON
 * line each), written and fsynced every `syncIntervalMs`; a delivery loop reads the segments in order from a
 * persisted cursor and sends them in batches to the sink, advancing the cursor only after the sink accepted a batch.
 * So: the hot path only stringifies and pushes into an array; memory holds at most one sync interval of events plus
 * one batch; a sink outage just lets the files grow and they are replayed in order when it is back; a kill -9 loses
 * at most the events of the last sync interval; a restart resumes from the cursor (a batch in flight at the crash is
 * sent again — ClickHouse dedupes on request_id). This class decides when to write and when to deliver; the segment
 * files and the cursor are `SpoolSegmentStore`'s.
 */
export class TelemetrySpool {
  private readonly logger = new Logger('telemetry-spool');
  private readonly syncIntervalMs: number;
  private readonly batchSize: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxBufferedEvents: number;
  private readonly deliveryIntervalMs: number;
  private lastDelivery = 0;
  private deliveryTimer?: NodeJS.Timeout;

  private readonly segments: SpoolSegmentStore;

  private buffer: string[] = [];
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private delivering?: Promise<void>;
  private backoffMs = 0;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Events accepted by `record` (and whether they reached the disk / the sink), for flush() and metrics. */
  private recorded = 0;
  private durable = 0;
  private delivered = 0;
  private waiters: { target: SpoolCursor; resolve: () => void }[] = [];
  dropped = 0;
  sinkFailures = 0;

  constructor(
    private readonly dir: string,
    private readonly sink: TelemetrySink,
    options: SpoolOptions = {},
  ) {
    this.syncIntervalMs = options.syncIntervalMs ?? 50;
    this.batchSize = options.batchSize ?? 10_000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 200_000;
    this.deliveryIntervalMs = options.deliveryIntervalMs ?? 250;
    this.segments = new SpoolSegmentStore(dir, this.batchSize, options.segmentBytes ?? 64 * 1024 * 1024);
  }

  /** Opens the spool, resuming after a restart or crash: undelivered events on disk are delivered first. */
  async open(): Promise<void> {
    await this.segments.open();
    this.timer = setInterval(() => void this.sync(), this.syncIntervalMs);
    this.timer.unref();
    this.kickDelivery();
  }

  /** Hot path: queue one event. Never blocks, never throws. */
  record(event: object): void {
    if (this.closed) {
      this.logger.error('telemetry event recorded after the spool closed; dropped', {});
      this.dropped++;
      return;
    }
    this.buffer.push(JSON.stringify(event));
    this.recorded++;
    if (this.buffer.length > this.maxBufferedEvents) {
      // Only reachable when the disk keeps failing: memory stays bounded, the loss is counted and logged.
      this.buffer.shift();
      this.dropped++;
    }
  }

  /** Pending counts, for /metrics and tests. */
  stats() {
    return { recorded: this.recorded, durable: this.durable, delivered: this.delivered, buffered: this.buffer.length, dropped: this.dropped, sinkFailures: this.sinkFailures };
  }

  /** Resolves once every event recorded before the call is written and fsynced (delivery may still be pending). */
  persist(): Promise<void> {
    return this.sync();
  }

  /** Resolves once every event recorded before the call is on disk and delivered to the sink. */
  async flush(): Promise<void> {
    await this.sync();
    await this.waitDelivered();
  }

  /** SIGTERM: write and fsync everything, then try to deliver it all within `deadlineMs`; what is left stays on disk. */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.sync();
    this.closed = true;
    const delivered = this.waitDelivered();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([delivered, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
    // From here on nothing delivers: the next process that opens this spool resumes from the cursor.
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.deliveryTimer);
    await this.delivering?.catch(() => undefined);
    await this.segments.close();
    const left = this.durable - this.delivered;
    if (left > 0) this.logger.warn('telemetry left in the spool for the next start', { events: left, dir: this.dir });
  }

  /** Resolves when the delivery cursor reaches the current end of the spool. */
  private waitDelivered(): Promise<void> {
    const target = this.segments.end();
    if (this.segments.cursorReached(target)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ target, resolve });
      this.kickDelivery(true);
    });
  }

  /** Writes buffered events to the active segment and fsyncs; serialised so writes never interleave. */
  private sync(): Promise<void> {
    if (this.syncing) return this.syncing.then(() => (this.buffer.length ? this.sync() : undefined));
    if (this.buffer.length === 0 || !this.segments.writable) return Promise.resolve();
    const lines = this.buffer;
    this.buffer = [];
    this.syncing = this.writeLines(lines)
      .catch((error: unknown) => {
        // Keep the events (ahead of newer ones) and try again at the next interval.
        this.logger.error('telemetry spool write failed; retrying', { error });
        this.buffer = lines.concat(this.buffer);
      })
      .finally(() => {
        this.syncing = undefined;
      });
    return this.syncing;
  }

  private async writeLines(lines: string[]): Promise<void> {
    await this.segments.append(lines);
    this.durable += lines.length;
    this.pendingDurable += lines.length;
    await this.segments.rollOverIfFull();
    this.scheduleDelivery();
  }

  private pendingDurable = 0;

  /** Delivers now when a full batch waits or the interval has passed; otherwise once the interval is up. */
  private scheduleDelivery(): void {
    const wait = this.lastDelivery + this.deliveryIntervalMs - Date.now();
    if (this.pendingDurable >= this.batchSize || wait <= 0) {
      this.kickDelivery();
      return;
    }
    if (this.deliveryTimer) return;
    this.deliveryTimer = setTimeout(() => {
      this.deliveryTimer = undefined;
      this.kickDelivery();
    }, wait);
    this.deliveryTimer.unref();
  }

  private stopped = false;

  private kickDelivery(now = false): void {
    if (this.delivering || this.stopped) return;
    if (this.retryTimer && !now) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.deliveryTimer);
    this.deliveryTimer = undefined;
    this.lastDelivery = Date.now();
    this.pendingDurable = 0;
    this.delivering = this.deliverAll().finally(() => {
      this.delivering = undefined;
      // New events may have become durable while the last batch was in flight.
      if (this.backoffMs === 0 && this.segments.hasUndelivered()) {
        if (this.waiters.length) this.kickDelivery(true);
        else this.scheduleDelivery();
      }
    });
  }

  /**
   * Delivers what was durable when this delivery began (a backlog in full batches), not what becomes durable while it
   * runs: with a sink slower than the fsync cadence, chasing new events would turn the delivery interval into a
   * back-to-back stream of small batches, and each batch costs the collector a fixed ~0.1 s of CPU in its INSERT and
   * rollup views. Later events wait for the next delivery (the interval, a full batch, or a flush).
   */
  private async deliverAll(): Promise<void> {
    const until = this.segments.end();
    while (this.segments.hasUndelivered() && !this.stopped && (!this.segments.cursorReached(until) || this.waiters.length > 0)) {
      const { ndjson, count, next } = await this.segments.readBatch();
      if (count === 0) {
        const cursor = this.segments.cursor;
        if (next.segment === cursor.segment && next.offset === cursor.offset) return;
        await this.segments.advance(next);
        continue;
      }
      try {
        // The batch's bytes are the store's reused buffer: the sink is done with them once `send` settles.
        await this.sink.send(new SpoolBatch(ndjson, count));
      } catch (error) {
        this.sinkFailures++;
        this.backoffMs = this.backoffMs ? Math.min(this.backoffMs * 2, this.maxBackoffMs) : this.minBackoffMs;
        if (this.sinkFailures === 1 || this.backoffMs === this.maxBackoffMs) {
          this.logger.warn('telemetry sink unreachable; events stay spooled on disk', { error, retryInMs: this.backoffMs });
        }
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kickDelivery();
        }, this.backoffMs);
        this.retryTimer.unref();
        return;
      }
      this.backoffMs = 0;
      this.delivered += count;
      await this.segments.advance(next);
      this.releaseWaiters();
    }
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (this.segments.cursorReached(waiter.target)) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
