import type { ClickHouseClient } from '@clickhouse/client';
import { Dec, Logger, ValidationError, toMoneyString } from '@tollgate/core';
import {
  PricingEngine,
  PricingService,
  RequestPrice,
  RestatementScope,
  TOKEN_USAGE_FIELDS,
  TokenUsage,
  UNPRICED_REF,
  emptyTokenUsage,
  isPriced,
  priceRequest,
  tierOfPriceRef,
} from '@tollgate/pricing';

/** What one restatement did to `llm_requests` (the job's result, the outbox row's, the audit entry's). */
export interface RestatementResult {
  /** Rows of the scopes read (latest version of each request). */
  rows_scanned: number;
  /** Rows whose estimated_cost or price_ref changed: a new version was inserted for each. */
  rows_changed: number;
  /**
   * Rows nothing prices any more (e.g. the custom price of a model the catalog lacks was deleted): restated to cost 0
   * with price_ref 'unpriced', as the collector stores requests it cannot price (counted in rows_changed too).
   */
  rows_unpriced: number;
  /** Rows whose stored token counts are inconsistent (cached > input, ...): left as they were. */
  rows_invalid: number;
  /**
   * Rows whose new price is in another currency than the stored one: left as they were, because the rollups apply a
   * restatement as a same-currency delta. Re-send such requests through the collector to change their currency.
   */
  rows_currency_changed: number;
}

type Row = Record<string, unknown> & { request_id: string; ts_ms: string; version: string; estimated_cost: string; price_ref: string; currency: string };

/** The table this service re-versions (the telemetry lib owns it; ClickHouseTelemetryWriter writes its new requests). */
const TABLE = 'llm_requests';

/**
 * Applies a price change pricing describes (its scopes) to the stored requests. Reads the latest version of each
 * `llm_requests` row in a scope (FINAL, keyset-paginated on (ts, request_id), parameterised), re-prices it from its
 * stored token counts with `priceRequest` over one consistent price snapshot, and inserts a new version
 * (version + 1) of each row whose estimated_cost or price_ref changed. Everything else in the row is copied as
 * stored — provider_cost included. When the table has the prev_* columns, the new version carries the superseded
 * version's money there so rollups apply the difference instead of counting a second request.
 */
export class LlmRequestRestatementService {
  private readonly logger = new Logger('llm-request-restatement');

  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly pricing: PricingService,
    private readonly batchSize = 5000,
  ) {}

  async restate(scopes: readonly RestatementScope[]): Promise<RestatementResult> {
    const engine = await this.pricing.refresh();
    const result: RestatementResult = { rows_scanned: 0, rows_changed: 0, rows_unpriced: 0, rows_invalid: 0, rows_currency_changed: 0 };
    for (const scope of scopes) await this.restateScope(engine, scope, result);
    return result;
  }

  private async restateScope(engine: PricingEngine, scope: RestatementScope, result: RestatementResult): Promise<void> {
    let afterMs = Date.parse(scope.from) - 1;
    let afterId = '\uffff';
    for (;;) {
      const rows = await this.readBatch(scope, afterMs, afterId);
      if (!rows.length) return;
      const changed: Record<string, unknown>[] = [];
      for (const row of rows) {
        result.rows_scanned++;
        const next = this.reprice(engine, row);
        if (next === 'invalid') result.rows_invalid++;
        else if (next === 'currency') result.rows_currency_changed++;
        else {
          if (next?.price_ref === UNPRICED_REF || (next === null && row.price_ref === UNPRICED_REF)) result.rows_unpriced++;
          if (next) changed.push(next);
        }
      }
      if (changed.length) {
        await this.clickhouse.insert({ table: TABLE, values: changed, format: 'JSONEachRow' });
        result.rows_changed += changed.length;
      }
      const last = rows[rows.length - 1];
      afterMs = Number(last.ts_ms);
      afterId = last.request_id;
      if (rows.length < this.batchSize) return;
    }
  }

  private async readBatch(scope: RestatementScope, afterMs: number, afterId: string): Promise<Row[]> {
    const result = await this.clickhouse.query({
      query: `
        SELECT *, toUnixTimestamp64Milli(ts) AS ts_ms
        FROM ${TABLE} FINAL
        WHERE provider = {provider:String}
          AND ts >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
          AND ({open_ended:Bool} OR ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'))
          AND ({any_model:Bool} OR lower(model) = lower({model:String}) OR lower(tags['served_model']) = lower({model:String}))
          AND ({any_account:Bool} OR provider_account = {account:String})
          AND (toUnixTimestamp64Milli(ts) > {after_ms:Int64}
               OR (toUnixTimestamp64Milli(ts) = {after_ms:Int64} AND request_id > {after_id:String}))
        ORDER BY ts, request_id
        LIMIT {limit:UInt32}`,
      query_params: {
        provider: scope.provider,
        from_ms: Date.parse(scope.from),
        open_ended: scope.to === null,
        to_ms: scope.to === null ? 0 : Date.parse(scope.to),
        any_model: scope.model === null,
        model: scope.model ?? '',
        any_account: scope.provider_account === null,
        account: scope.provider_account ?? '',
        // The first page starts just before `from`, with an id that sorts after any (so nothing at from−1 ms passes).
        after_ms: afterMs,
        after_id: afterId,
        limit: this.batchSize,
      },
      format: 'JSONEachRow',
    });
    return result.json<Row>();
  }

  /** The row's next version, null when its price is unchanged, 'invalid' / 'currency' when it is left as stored. */
  private reprice(engine: PricingEngine, row: Row): Record<string, unknown> | null | 'invalid' | 'currency' {
    let price: RequestPrice;
    try {
      price = priceRequest(engine, {
        provider: String(row.provider),
        model: String(row.model),
        servedModel: servedModelOf(row),
        usage: storedUsage(row),
        at: new Date(Number(row.ts_ms)),
        providerAccount: String(row.provider_account ?? ''),
        // The tier comes from the row's service_tier column when the table has one, else from the tier named in price_ref.
        tier: typeof row.service_tier === 'string' && row.service_tier !== '' ? row.service_tier : tierOfPriceRef(row.price_ref),
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.logger.warn('request left unrestated: inconsistent token counts', { request_id: row.request_id, reason: error.message });
      return 'invalid';
    }
    // An unpriced row (cost 0) may take any currency; a priced one keeps its own.
    const currency = isPriced(price) ? price.currency : row.currency;
    const cost = toMoneyString(price.cost);
    if (new Dec(cost).equals(new Dec(row.estimated_cost)) && price.price_ref === row.price_ref) return null;
    if (currency !== row.currency && !new Dec(row.estimated_cost).isZero()) {
      this.logger.warn('request left unrestated: the new price is in another currency', { request_id: row.request_id, from: row.currency, to: currency });
      return 'currency';
    }
    const { ts_ms: _tsMs, ...stored } = row;
    const next: Record<string, unknown> = {
      ...stored,
      estimated_cost: cost,
      price_ref: price.price_ref,
      currency,
      version: (BigInt(row.version) + 1n).toString(),
    };
    if ('prev_version' in row) {
      next.prev_version = row.version;
      next.prev_estimated_cost = row.estimated_cost;
      next.prev_provider_cost = row.provider_cost ?? '0';
    }
    return next;
  }
}

/** The stored token counts (a column the table lacks, such as cache_write_1h_tokens on an old table, counts 0). */
function storedUsage(row: Row): TokenUsage {
  const usage = emptyTokenUsage();
  for (const field of TOKEN_USAGE_FIELDS) usage[field] = Number(row[field] ?? 0);
  return usage;
}

/** The model the provider reported serving, as the proxy tagged it (tags is a Map column: an object in JSONEachRow). */
function servedModelOf(row: Row): string | undefined {
  const tags = row.tags as Record<string, string> | undefined;
  return typeof tags?.served_model === 'string' && tags.served_model !== '' ? tags.served_model : undefined;
}
