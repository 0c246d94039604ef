// Event-loop delay and garbage collection of the process it runs in, for the benchmark's final report: a stalled
// event loop or a long scavenge shows up directly as added latency of every request waiting behind it.
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessStats {
  gc: { minor: number; minorMs: number; major: number; majorMs: number; maxMs: number };
  loop: { p50: number; p99: number; max: number };
}

export function watchProcess(): () => ProcessStats {
  // 10 ms resolution: at 1 ms its timer alone cost the measured process ~3% of a core (1,000 wakeups a second).
  const resolutionMs = 10;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  loop.enable();
  const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) (gc.major++, (gc.majorMs += entry.duration));
      else (gc.minor++, (gc.minorMs += entry.duration));
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  // The histogram holds when its timer fired; the delay is what came on top of the timer's own period.
  const delay = (ns: number) => Math.max(0, Math.round(ns / 1e4 - resolutionMs * 100) / 100);
  return () => ({
    gc: { ...gc, minorMs: Math.round(gc.minorMs), majorMs: Math.round(gc.majorMs), maxMs: Math.round(gc.maxMs) },
    loop: { p50: delay(loop.percentile(50)), p99: delay(loop.percentile(99)), max: delay(loop.max) },
  });
}

/** Requests the proxy answered, from its own Prometheus counter (every status and route). */
export async function answeredRequests(metrics: { registry: { getSingleMetricAsString(name: string): Promise<string> } }): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString('tollgate_proxy_requests_total');
  return text
    .split('\n')
    .filter((l) => l.startsWith('tollgate_proxy_requests_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Spool → sink delivery knobs for diagnostics: BENCH_DELIVERY_MS (cadence), BENCH_SPOOL_BATCH (events per batch). */
export function spoolOptionsFromEnv(): { spoolDeliveryMs?: number; spoolBatchSize?: number; spoolSyncMs?: number } {
  return {
    ...(process.env.BENCH_SPOOL_SYNC_MS ? { spoolSyncMs: Number(process.env.BENCH_SPOOL_SYNC_MS) } : {}),
    ...(process.env.BENCH_DELIVERY_MS ? { spoolDeliveryMs: Number(process.env.BENCH_DELIVERY_MS) } : {}),
    ...(process.env.BENCH_SPOOL_BATCH ? { spoolBatchSize: Number(process.env.BENCH_SPOOL_BATCH) } : {}),
  };
}
