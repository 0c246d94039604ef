/**
 * Keeps a rollup repair and the INSERTs into `llm_requests` of this process apart: a repair rebuilds rollup partitions
 * from the raw rows and swaps them in, so a delta a view added meanwhile would be swapped away. INSERTs share the gate
 * (any number at once); a repair holds it alone, after the INSERTs under way have finished, and INSERTs arriving
 * meanwhile wait for it. One per process, not per writer: an all-in-one process has two writers (the collector's
 * and the proxy's), and the one starting its repair must hold off the other. Other processes are not covered (see
 * the README's limits).
 */
export class LlmRequestsWriteGate {
  /** Bumped by every repair: a de-dup answer read before it may be stale (ids re-indexed). */
  generation = 0;
  private inserts = 0;
  private drained: (() => void)[] = [];
  private held: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs an INSERT (with the last look at its de-dup answer), after any repair holding the gate. Not re-entrant. */
  async shared<T>(op: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    this.inserts++;
    try {
      return await op();
    } finally {
      if (--this.inserts === 0) for (const wake of this.drained.splice(0)) wake();
    }
  }

  /** Runs a repair alone: after the repairs before it and the INSERTs under way; INSERTs wait until it ends. */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      let release!: () => void;
      this.held = new Promise<void>((resolve) => (release = resolve));
      try {
        if (this.inserts > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
        return await op();
      } finally {
        this.generation++;
        this.held = undefined;
        release();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The process's gate (see the class). */
export const llmRequestsWriteGate = new LlmRequestsWriteGate();
