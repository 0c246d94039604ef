import type { ClickHouseClient } from '@clickhouse/client';
import { Dec, Logger, ValidationError, toMoneyString } from '@tollgate/core';
import { UnknownPriceError } from '../pricing.errors';
import { pricedModelNames, tierOfPriceRef, type PricingEngine } from '../engine/pricing.engine';
import type { TokenUsage } from '../engine/token-usage';
import type { PricingService } from '../pricing.service';
import type { RestatementJob, RestatementScope } from './price-restatement.job';

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

/** price_ref of a request no price covered (the telemetry collector stores those with cost 0 under the same ref). */
export const UNPRICED_REF = 'unpriced';

/**
 * Re-prices stored requests after an override change. Reads the latest version of each `llm_requests` row in the
 * scope (FINAL, keyset-paginated on (ts, request_id), parameterised), re-prices it from its stored token counts with
 * one consistent override snapshot, and inserts a new version (version + 1) of each row whose estimated_cost or
 * price_ref changed. Everything else in the row is copied as stored — provider_cost included. When the table has the
 * telemetry lib's prev_* columns, the new version carries the superseded version's money there so rollups can apply
 * the difference instead of counting a second request. Inserts go to `llm_requests` only.
 */
export class PriceRestatementService {
  private readonly logger = new Logger('pricing-restatement');

  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly pricing: PricingService,
    private readonly batchSize = 5000,
  ) {}

  async restate(job: RestatementJob): Promise<RestatementResult> {
    const engine = await this.pricing.refresh();
    const result: RestatementResult = { rows_scanned: 0, rows_changed: 0, rows_unpriced: 0, rows_invalid: 0, rows_currency_changed: 0 };
    for (const scope of job.scopes) await this.restateScope(engine, scope, result);
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
        await this.clickhouse.insert({ table: 'llm_requests', values: changed, format: 'JSONEachRow' });
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
        FROM llm_requests FINAL
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
    const n = (key: string) => Number(row[key] ?? 0);
    const usage: TokenUsage = {
      input_tokens: n('input_tokens'),
      cached_input_tokens: n('cached_input_tokens'),
      cache_write_tokens: n('cache_write_tokens'),
      cache_write_1h_tokens: n('cache_write_1h_tokens'),
      output_tokens: n('output_tokens'),
      reasoning_tokens: n('reasoning_tokens'),
      audio_input_tokens: n('audio_input_tokens'),
      audio_output_tokens: n('audio_output_tokens'),
      image_tokens: n('image_tokens'),
    };
    // The tier comes from the row's service_tier column when the table has one, else from the tier named in price_ref.
    const tier = typeof row.service_tier === 'string' && row.service_tier !== '' ? row.service_tier : tierOfPriceRef(row.price_ref);
    let quote: { cost: Dec; price_ref: string; currency: string };
    try {
      quote = engine.price(String(row.provider), pricedModelNames(String(row.model), servedModelOf(row)), usage, new Date(Number(row.ts_ms)), {
        providerAccount: String(row.provider_account ?? '') || undefined,
        tier,
      });
    } catch (error) {
      if (error instanceof UnknownPriceError) {
        quote = { cost: new Dec(0), price_ref: UNPRICED_REF, currency: row.currency };
      } else if (error instanceof ValidationError) {
        this.logger.warn('request left unrestated: inconsistent token counts', { request_id: row.request_id, reason: error.message });
        return 'invalid';
      } else {
        throw error;
      }
    }
    const cost = toMoneyString(quote.cost);
    if (new Dec(cost).equals(new Dec(row.estimated_cost)) && quote.price_ref === row.price_ref) return null;
    // An unpriced row (cost 0) may take any currency; a priced one keeps its own.
    if (quote.currency !== row.currency && !new Dec(row.estimated_cost).isZero()) {
      this.logger.warn('request left unrestated: the new price is in another currency', { request_id: row.request_id, from: row.currency, to: quote.currency });
      return 'currency';
    }
    const { ts_ms: _tsMs, ...stored } = row;
    const next: Record<string, unknown> = {
      ...stored,
      estimated_cost: cost,
      price_ref: quote.price_ref,
      currency: quote.currency,
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

/** The model the provider reported serving, as the proxy tagged it (tags is a Map column: an object in JSONEachRow). */
function servedModelOf(row: Row): string | undefined {
  const tags = row.tags as Record<string, string> | undefined;
  return typeof tags?.served_model === 'string' && tags.served_model !== '' ? tags.served_model : undefined;
}
