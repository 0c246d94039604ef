import { FieldProblem, PayloadTooLargeError, ValidationError } from '@tollgate/core';
import { UNPRICED_REF, isPriced, type PriceQuote, type PricingService } from '@tollgate/pricing';
import { LlmRequestRow, toLlmRequestRow } from '../events/llm-request.row';
import { validateTelemetryEvents } from '../events/telemetry-event.schema';
import { ClickHouseTelemetryWriter } from '../writer/clickhouse-telemetry.writer';

/** What the collector needs from pricing (`PricingService` satisfies it). */
export type TelemetryPricer = Pick<PricingService, 'priceRequest'>;

export interface IngestResult {
  /** Valid events: written now or already stored (re-sends are accepted, idempotently). */
  accepted: number;
  rejected: number;
  /** Accepted events whose request_id was already stored (nothing written for them). */
  duplicates: number;
  errors: FieldProblem[];
  /** Accepted with a caveat, e.g. an unknown model stored with cost 0 and price_ref 'unpriced'. */
  warnings: FieldProblem[];
}

/** Largest batch one call accepts; a producer sends more in several requests. */
export const MAX_EVENTS_PER_BATCH = 50_000;

/** Version of a row first written by the collector; restatements write higher ones, so a re-send is always a duplicate. */
const COLLECTED_VERSION = 1;

/**
 * The collector's logic, transport-free: validate each event against the shared schema, price the ones that come
 * without a cost, and write the valid ones through the one writer. Resolves only once they are stored, so a
 * 200 means the events landed; a store failure rejects (the producer retries; re-sends are idempotent).
 */
export class TelemetryIngestService {
  constructor(
    private readonly writer: ClickHouseTelemetryWriter,
    private readonly pricer?: TelemetryPricer,
  ) {}

  async ingest(items: unknown[]): Promise<IngestResult> {
    if (items.length > MAX_EVENTS_PER_BATCH) {
      throw new PayloadTooLargeError(`a batch holds at most ${MAX_EVENTS_PER_BATCH} events; got ${items.length}`);
    }
    const { valid, errors } = validateTelemetryEvents(items);
    const warnings: FieldProblem[] = [];
    const rows: LlmRequestRow[] = [];
    for (const { index, event } of valid) {
      let quote: PriceQuote | undefined;
      if (event.estimated_cost === undefined) {
        if (!this.pricer) {
          warnings.push({ index, field: 'estimated_cost', reason: `no pricing configured; stored with cost 0 and price_ref '${UNPRICED_REF}'` });
        } else {
          try {
            // The event carries its counts under TokenUsage's names: it is the usage, no copy needed.
            const price = await this.pricer.priceRequest({
              provider: event.provider,
              model: event.model,
              servedModel: event.tags.served_model,
              usage: event,
              at: new Date(event.ts),
              providerAccount: event.provider_account,
              tier: event.service_tier,
            });
            if (isPriced(price)) quote = price;
            // An unknown model is still a request that happened: kept at cost 0, findable for a later restatement.
            else warnings.push({ index, field: 'model', reason: `${price.reason}; stored with cost 0 and price_ref '${UNPRICED_REF}'` });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            for (const p of error.problems.length ? error.problems : [{ field: '(event)', reason: error.message }]) errors.push({ index, field: p.field, reason: p.reason });
            continue;
          }
        }
      }
      rows.push(toLlmRequestRow(event, quote, COLLECTED_VERSION));
    }
    errors.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const rejected = new Set(errors.map((e) => e.index)).size;
    if (rows.length === 0) return { accepted: 0, rejected, duplicates: 0, errors, warnings };
    const outcome = await this.writer.write(rows);
    return { accepted: rows.length, rejected, duplicates: outcome.duplicates, errors, warnings };
  }
}

/** Splits an NDJSON body into values; a line that is not JSON becomes an error at its index (blank lines are skipped). */
export function parseNdjson(text: string): { items: unknown[]; errors: FieldProblem[] } {
  const items: unknown[] = [];
  const errors: FieldProblem[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    try {
      items.push(JSON.parse(trimmed));
    } catch (error) {
      errors.push({ index: items.length, line, field: '(line)', reason: `not valid JSON: ${(error as Error).message}` });
      items.push(undefined);
    }
  }
  return { items, errors };
}
