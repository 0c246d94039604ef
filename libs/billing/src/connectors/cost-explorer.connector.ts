import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { CostExplorerClient, GetCostAndUsageCommand, GetCostAndUsageCommandInput, Group, ResultByTime } from '@aws-sdk/client-cost-explorer';
import { UnavailableError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas, type SourceSettings } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, monthsBetween, syncWindow } from './billing.connector';

/**
 * AWS Cost Explorer GetCostAndUsage, every page (NextPageToken), written out as FOCUS rows (.ndjson) so the same
 * SQL path as export files loads, validates and labels them. BilledCost = UnblendedCost, EffectiveCost =
 * (Net)AmortizedCost. Throttling (LimitExceededException) is retried by the SDK in adaptive mode, which also
 * slows its own request rate; what is still throttled after that fails the job, and BullMQ retries with backoff.
 * Incremental: the cursor is the last day read; each sync re-reads from `restatementMonths` before it, whole months.
 */
export class CostExplorerConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['aws-cost-explorer'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['aws-cost-explorer'].credentials, ctx.credentials, { prefix: 'credentials' });
    const client = new CostExplorerClient({
      region: settings.region,
      endpoint: settings.endpoint,
      credentials,
      maxAttempts: 6,
      retryMode: 'adaptive',
    });
    const { start, end } = syncWindow(ctx, settings.restatementMonths);
    const periods = monthsBetween(start, new Date(end.getTime() - 1));
    const path = join(ctx.workDir, 'cost-explorer.ndjson');
    const out = createWriteStream(path);
    const write = async (line: string) => {
      if (!out.write(line)) await once(out, 'drain');
    };
    const input: GetCostAndUsageCommandInput = {
      TimePeriod: { Start: day(start), End: day(end) },
      Granularity: settings.granularity,
      Metrics: ['UnblendedCost', 'AmortizedCost', 'NetAmortizedCost', 'UsageQuantity'],
      GroupBy: settings.groupBy.map((g) => ({ Type: g.type, Key: g.key })),
    };
    let pages = 0;
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new GetCostAndUsageCommand({ ...input, NextPageToken: token }));
        pages++;
        const definitions = page.GroupDefinitions ?? input.GroupBy ?? [];
        for (const result of page.ResultsByTime ?? []) {
          for (const group of result.Groups ?? []) await write(JSON.stringify(focusRow(result, group, definitions, settings)) + '\n');
        }
        token = page.NextPageToken;
      } while (token);
    } catch (error) {
      out.destroy();
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'ValidationException' || e.name === 'AccessDeniedException' || e.name === 'UnrecognizedClientException') throw error;
      throw new UnavailableError(`Cost Explorer GetCostAndUsage failed: ${(error as Error).message}`, error);
    } finally {
      client.destroy();
    }
    out.end();
    await once(out, 'finish');
    return {
      files: [{ location: { kind: 'local', path }, name: `cost-explorer:GetCostAndUsage ${day(start)}..${day(end)}`, format: 'focus' }],
      periods,
      inputs: [`GetCostAndUsage ${settings.granularity} ${day(start)}..${day(end)} group by ${settings.groupBy.map((g) => `${g.type}:${g.key}`).join(', ')} (${pages} pages)`],
      cursor: { throughDay: day(new Date(end.getTime() - 86_400_000)) },
    };
  }
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** One Cost Explorer group as a FOCUS row; every value a string (the ingest SQL parses and validates them). */
function focusRow(result: ResultByTime, group: Group, definitions: { Type?: string; Key?: string }[], settings: SourceSettings<'aws-cost-explorer'>): Record<string, string | null> {
  const row: Record<string, string | null> = {};
  const tags: Record<string, string> = {};
  (group.Keys ?? []).forEach((key, i) => {
    const def = definitions[i] ?? {};
    if (def.Type === 'TAG' || def.Type === 'COST_CATEGORY') {
      // Tag keys come back as "team$search"; "team$" means the cost carries no such tag.
      const value = key.slice(key.indexOf('$') + 1);
      if (value) tags[def.Key ?? key.slice(0, key.indexOf('$'))] = value;
      return;
    }
    switch (def.Key) {
      case 'SERVICE': row.ServiceName = key; break;
      case 'LINKED_ACCOUNT': row.SubAccountId = key; break;
      case 'USAGE_TYPE': row.x_UsageType = key; break;
      case 'REGION': row.RegionId = key; break;
      case 'INSTANCE_TYPE': row.x_InstanceType = key; break;
      case 'RECORD_TYPE': row.x_RecordType = key; break;
      default: row[`x_${def.Key ?? i}`] = key;
    }
  });
  const metrics = group.Metrics ?? {};
  const start = result.TimePeriod?.Start ?? '';
  const monthStart = `${start.slice(0, 7)}-01`;
  const next = new Date(`${monthStart}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const recordType = row.x_RecordType ?? '';
  return {
    ProviderName: 'AWS',
    PublisherName: 'Amazon Web Services',
    InvoiceIssuerName: 'Amazon Web Services',
    BillingAccountId: settings.payerAccountId,
    SubAccountId: row.SubAccountId ?? '',
    ServiceName: row.ServiceName ?? '',
    RegionId: row.RegionId ?? '',
    BilledCost: metrics.UnblendedCost?.Amount ?? null,
    EffectiveCost: metrics[settings.effectiveCost]?.Amount ?? metrics.AmortizedCost?.Amount ?? null,
    BillingCurrency: metrics.UnblendedCost?.Unit ?? null,
    ConsumedQuantity: metrics.UsageQuantity?.Amount ?? null,
    ConsumedUnit: metrics.UsageQuantity?.Unit && metrics.UsageQuantity.Unit !== 'N/A' ? metrics.UsageQuantity.Unit : '',
    ChargePeriodStart: start,
    ChargePeriodEnd: result.TimePeriod?.End ?? null,
    BillingPeriodStart: monthStart,
    BillingPeriodEnd: day(next),
    ChargeCategory: /credit|refund/i.test(recordType) ? 'Credit' : /tax/i.test(recordType) ? 'Tax' : 'Usage',
    ChargeFrequency: 'Usage-Based',
    ChargeDescription: row.x_UsageType ?? '',
    x_UsageType: row.x_UsageType ?? '',
    x_InstanceType: row.x_InstanceType ?? '',
    Tags: JSON.stringify(tags),
  };
}
