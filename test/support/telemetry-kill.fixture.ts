import { LlmRequestRow, telemetryEventSchema, toLlmRequestRow } from '@tollgate/telemetry';
import { telemetryEvent } from '../fixtures/telemetry/telemetry-events.fixture';

export const KILL_TEST_BATCH_ROWS = 5_000;

/** Batch `b` of the kill test: the same rows whoever builds them (the child writing, the parent re-sending). */
export function killTestBatch(b: number): LlmRequestRow[] {
  return Array.from({ length: KILL_TEST_BATCH_ROWS }, (_, i) =>
    toLlmRequestRow(
      telemetryEventSchema.parse(
        telemetryEvent({
          request_id: `k-${b}-${i}`,
          ts: new Date(Date.UTC(2026, 10, 20 + (i % 3), 8, 0, 0, b * KILL_TEST_BATCH_ROWS + i)).toISOString(),
          customer: `c-${i % 7}`,
          model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
          estimated_cost: `0.${String(i).padStart(6, '0')}`,
          latency_ms: 3 + (i % 500),
        }),
      ),
    ),
  );
}
