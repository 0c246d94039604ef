import { Logger } from '../logging/logger';

/**
 * Ordered shutdown. Phases run in this order so nothing in flight is lost:
 * `accept` stops taking new work (HTTP servers, queue workers), `drain` flushes buffers
 * (telemetry spool, ClickHouse writer), `stores` closes connections and the embedded engines.
 */
export type ShutdownPhase = 'accept' | 'drain' | 'stores';
const PHASES: ShutdownPhase[] = ['accept', 'drain', 'stores'];

interface Hook {
  name: string;
  phase: ShutdownPhase;
  run: () => Promise<void> | void;
}

export class ShutdownCoordinator {
  private readonly hooks: Hook[] = [];
  private running?: Promise<void>;
  private readonly logger = new Logger('shutdown');

  constructor(private readonly timeoutMs = 15000) {}

  register(phase: ShutdownPhase, name: string, run: () => Promise<void> | void): void {
    this.hooks.push({ phase, name, run });
  }

  /** Runs every hook once; later calls return the same promise. Hooks of one phase run concurrently. */
  shutdown(reason = 'requested'): Promise<void> {
    if (!this.running) this.running = this.runAll(reason);
    return this.running;
  }

  /** Installs SIGTERM/SIGINT handlers that shut down and exit. */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.logger.info('signal received, draining', { signal });
      const timer = setTimeout(() => {
        this.logger.error('shutdown timed out', { timeoutMs: this.timeoutMs });
        exit(1);
      }, this.timeoutMs);
      timer.unref();
      this.shutdown(signal).then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private async runAll(reason: string): Promise<void> {
    let failed = false;
    // Hooks registered later (outer layers) stop first within a phase's ordering of phases.
    for (const phase of PHASES) {
      const hooks = this.hooks.filter((h) => h.phase === phase).reverse();
      const results = await Promise.allSettled(hooks.map(async (h) => h.run()));
      results.forEach((r, i) => {
        if (r.status === 'rejected') {
          failed = true;
          this.logger.error('shutdown hook failed', { hook: hooks[i].name, error: r.reason });
        }
      });
    }
    this.logger.info('shutdown complete', { reason });
    if (failed) throw new Error('one or more shutdown hooks failed');
  }
}
