import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { BigQuery, BigQueryOptions } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import { UnavailableError, ValidationError, parseDecimal, toMoneyString, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas, type SourceSettings } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, monthsBetween } from './billing.connector';
import { quotedBigQueryTable } from './bigquery-table.identifier';


/**
 * The Cloud Billing export in BigQuery through `@google-cloud/bigquery` (jobs.query, then getQueryResults pages by
 * pageToken), read as a stream (`createQueryStream`): one page of rows in memory at a time, written out as it comes.
 * (`maxResults` is not passed: the client's paginator takes it as a cap on the total, not a page size.)
 * One invoice month per period: GCP restates a month until its invoice closes, and `invoice.month` is what the
 * invoice sums. Net cost = cost + SUM(credits.amount) (credits are negative) is BilledCost and EffectiveCost; the
 * gross cost is ContractedCost, cost_at_list ListCost. Labels become Tags; cost_type (regular, tax, adjustment,
 * rounding error) becomes ChargeCategory.
 */
export class BigQueryBillingConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['gcp-bigquery'].settings, ctx.settings, { prefix: 'settings' });
    const table = quotedBigQueryTable(settings.table);
    const today = new Date(Date.UTC(ctx.now.getUTCFullYear(), ctx.now.getUTCMonth(), 1));
    const months = ctx.period
      ? [ctx.period]
      : monthsBetween(
          new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - settings.restatementMonths, 1)),
          today,
        );
    const client = new BigQuery(this.options(settings, ctx.credentials));
    if (settings.focusView) return this.collectFocusView(client, settings, table, months, ctx.workDir);
    const resource = settings.detailed ? 'resource.name AS resource_name, resource.global_name AS resource_global_name,' : '';
    const query = `SELECT billing_account_id, service.description AS service, sku.id AS sku_id, sku.description AS sku_description,
  project.id AS project_id, project.name AS project_name, location.region AS region, ${resource}
  usage_start_time, usage_end_time, invoice.month AS invoice_month, cost_type, currency, cost, cost_at_list,
  usage.amount AS usage_amount, usage.unit AS usage_unit, usage.amount_in_pricing_units AS pricing_amount, usage.pricing_unit AS pricing_unit,
  credits, labels
FROM ${table}
WHERE invoice.month IN UNNEST(@months)`;
    const path = join(ctx.workDir, 'bigquery-billing.ndjson');
    const out = createWriteStream(path);
    let count = 0;
    try {
      const rows = client.createQueryStream({ query, params: { months: months.map((m) => m.slice(0, 4) + m.slice(5, 7)) }, location: settings.location });
      for await (const row of rows as AsyncIterable<BillingExportRow>) {
        count++;
        if (!out.write(JSON.stringify(focusRow(row, settings)) + '\n')) await once(out, 'drain');
      }
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (error instanceof ValidationError) throw error;
      if (code === 400 || code === 403 || code === 404) throw ValidationError.field('settings', `BigQuery refused the billing export query: HTTP ${code}`);
      throw new UnavailableError(`BigQuery billing export query failed${code ? `: HTTP ${code}` : ''}`, error);
    } finally {
      out.end();
      await once(out, 'finish');
    }
    return {
      files: [{ location: { kind: 'local', path }, name: `bigquery:${settings.table} invoice.month ${months.map((m) => m.slice(0, 7)).join(',')}`, format: 'focus' }],
      periods: months,
      inputs: [`BigQuery ${settings.table} invoice months ${months.map((m) => m.slice(0, 7)).join(', ')} (${count} rows)`],
      cursor: { throughMonth: months[months.length - 1] },
    };
  }

  /** Google's FOCUS view: FOCUS columns as they are; timestamps, NUMERIC (Big) and label arrays turned into text. */
  private async collectFocusView(client: BigQuery, settings: SourceSettings<'gcp-bigquery'>, table: string, months: string[], workDir: string): Promise<CollectedInput> {
    const path = join(workDir, 'bigquery-focus.ndjson');
    const out = createWriteStream(path);
    let count = 0;
    try {
      const rows = client.createQueryStream({
        query: `SELECT * FROM ${table} WHERE FORMAT_TIMESTAMP('%Y%m', BillingPeriodStart, 'UTC') IN UNNEST(@months)`,
        params: { months: months.map((m) => m.slice(0, 4) + m.slice(5, 7)) },
        location: settings.location,
      });
      for await (const row of rows as AsyncIterable<Record<string, unknown>>) {
        count++;
        const line: Record<string, string | null> = {};
        for (const [key, value] of Object.entries(row)) line[key] = key === 'Tags' ? JSON.stringify(tagsObject(value)) : focusText(value);
        if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
      }
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 400 || code === 403 || code === 404) throw ValidationError.field('settings', `BigQuery refused the FOCUS view query: HTTP ${code}`);
      throw new UnavailableError(`BigQuery FOCUS view query failed${code ? `: HTTP ${code}` : ''}`, error);
    } finally {
      out.end();
      await once(out, 'finish');
    }
    return {
      files: [{ location: { kind: 'local', path }, name: `bigquery:${settings.table} ${months.map((m) => m.slice(0, 7)).join(',')}`, format: 'focus' }],
      periods: months,
      inputs: [`BigQuery FOCUS view ${settings.table} billing periods ${months.map((m) => m.slice(0, 7)).join(', ')} (${count} rows)`],
      cursor: { throughMonth: months[months.length - 1] },
    };
  }

  private options(settings: SourceSettings<'gcp-bigquery'>, credentials: Record<string, unknown> | undefined): BigQueryOptions {
    const options: BigQueryOptions = { projectId: settings.projectId, apiEndpoint: settings.apiEndpoint };
    if (credentials?.accessToken) {
      // A short-lived OAuth token (workload identity federation, or a test double): no key material stored.
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: String(credentials.accessToken), expiry_date: Date.now() + 3_600_000 });
      return { ...options, authClient: auth as never };
    }
    if (credentials?.serviceAccount) return { ...options, credentials: credentials.serviceAccount as BigQueryOptions['credentials'] };
    return options;
  }
}

interface BillingExportRow {
  billing_account_id: string | null;
  service: string | null;
  sku_id: string | null;
  sku_description: string | null;
  project_id: string | null;
  project_name: string | null;
  region: string | null;
  resource_name?: string | null;
  resource_global_name?: string | null;
  usage_start_time: { value: string } | string | null;
  usage_end_time: { value: string } | string | null;
  invoice_month: string | null;
  cost_type: string | null;
  currency: string | null;
  cost: number | string | null;
  cost_at_list: number | string | null;
  usage_amount: number | string | null;
  usage_unit: string | null;
  pricing_amount: number | string | null;
  pricing_unit: string | null;
  credits: { name?: string; amount: number | string; type?: string }[] | null;
  labels: { key: string; value: string }[] | null;
}

/** FLOAT64 values come back from the client as JS numbers; String() is their shortest round-trip text, the wire text. */
const dec = (v: number | string | null | undefined) => (v === null || v === undefined ? null : parseDecimal(typeof v === 'number' ? String(v) : v));
const ts = (v: { value: string } | string | null) => (v === null ? null : typeof v === 'string' ? v : v.value);

function focusRow(r: BillingExportRow, settings: SourceSettings<'gcp-bigquery'>): Record<string, string | null> {
  const cost = dec(r.cost);
  const credits = (r.credits ?? []).reduce((sum, c) => sum.plus(dec(c.amount) ?? 0), parseDecimal('0'));
  const net = cost === null ? null : toMoneyString(cost.plus(credits));
  const month = r.invoice_month ?? '';
  const periodStart = `${month.slice(0, 4)}-${month.slice(4, 6)}-01`;
  const periodEnd = new Date(`${periodStart}T00:00:00Z`);
  periodEnd.setUTCMonth(periodEnd.getUTCMonth() + 1);
  const costType = r.cost_type ?? 'regular';
  return {
    ProviderName: 'Google Cloud',
    PublisherName: 'Google Cloud',
    InvoiceIssuerName: 'Google Cloud',
    BillingAccountId: r.billing_account_id ?? '',
    SubAccountId: r.project_id ?? '',
    SubAccountName: r.project_name ?? '',
    ServiceName: r.service ?? '',
    SkuId: r.sku_id ?? '',
    ChargeDescription: r.sku_description ?? '',
    RegionId: r.region ?? '',
    ResourceId: r.resource_global_name ?? r.resource_name ?? '',
    ResourceName: r.resource_name ?? '',
    BilledCost: net,
    EffectiveCost: net,
    ContractedCost: cost === null ? null : toMoneyString(cost),
    ListCost: r.cost_at_list === null || r.cost_at_list === undefined ? null : toMoneyString(dec(r.cost_at_list)!),
    BillingCurrency: r.currency,
    ChargePeriodStart: ts(r.usage_start_time),
    ChargePeriodEnd: ts(r.usage_end_time),
    BillingPeriodStart: periodStart,
    BillingPeriodEnd: periodEnd.toISOString().slice(0, 10),
    ChargeCategory: costType === 'tax' ? 'Tax' : costType === 'adjustment' ? 'Adjustment' : costType === 'rounding_error' ? 'Adjustment' : 'Usage',
    ChargeFrequency: 'Usage-Based',
    ConsumedQuantity: r.usage_amount === null ? null : String(r.usage_amount),
    ConsumedUnit: r.usage_unit ?? '',
    PricingQuantity: r.pricing_amount === null ? null : String(r.pricing_amount),
    PricingUnit: r.pricing_unit ?? '',
    x_UsageType: r.sku_description ?? '',
    Tags: JSON.stringify(Object.fromEntries((r.labels ?? []).map((l) => [l.key, l.value]))),
  };
}

function focusText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'value' in (value as object)) return String((value as { value: unknown }).value);
  // NUMERIC/BIGNUMERIC arrive as Big.js numbers: their own toString is the exact decimal.
  if (typeof value === 'object' && (value as object).toString !== Object.prototype.toString) return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Tags as a key → value object, whether BigQuery gives a JSON value, JSON text or an array of {key, value}. */
function tagsObject(value: unknown): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((t: { key: string; value: unknown }) => [t.key, String(t.value ?? '')]));
  if (typeof value === 'string') return value ? (JSON.parse(value) as Record<string, string>) : {};
  return value as Record<string, string>;
}
