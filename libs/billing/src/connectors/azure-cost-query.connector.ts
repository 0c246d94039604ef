import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { UnavailableError, ValidationError, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas, type SourceSettings } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, monthsBetween, syncWindow } from './billing.connector';

interface QueryResponse {
  properties: { nextLink?: string | null; columns: { name: string; type: string }[]; rows: unknown[][] };
}

const MAX_THROTTLE_RETRIES = 5;

/**
 * Azure Cost Management Query API (`POST {scope}/providers/Microsoft.CostManagement/query`), daily, every page via
 * `nextLink` (POSTed with the same body), positional rows mapped through `properties.columns`, written as FOCUS
 * rows. Authenticates with a service principal (client credentials). 429 answers are retried after the
 * Retry-After the API sends (its QPU quotas are tight); still throttled after that, the job fails and BullMQ backs off.
 * An ActualCost source fills BilledCost and EffectiveCost with the actual cost, an AmortizedCost source with the
 * amortized cost: one query answers one of the two.
 */
export class AzureCostQueryConnector implements BillingConnector {
  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['azure-cost-query'].settings, ctx.settings, { prefix: 'settings' });
    const credentials = ctx.credentials && parseOrThrow(sourceSettingsSchemas['azure-cost-query'].credentials, ctx.credentials, { prefix: 'credentials' });
    if (!credentials) throw ValidationError.field('credentials', 'an Azure cost query source needs tenantId, clientId and clientSecret');
    const { start, end } = syncWindow(ctx, settings.restatementMonths);
    const token = await this.token(settings, credentials);
    const body = {
      type: settings.type,
      timeframe: 'Custom',
      timePeriod: { from: `${day(start)}T00:00:00Z`, to: `${day(new Date(end.getTime() - 1000))}T23:59:59Z` },
      dataset: {
        granularity: 'Daily',
        aggregation: { totalCost: { name: 'Cost', function: 'Sum' } },
        grouping: settings.grouping,
      },
    };
    const path = join(ctx.workDir, 'azure-cost-query.ndjson');
    const out = createWriteStream(path);
    let url: string | undefined = `${settings.endpoint.replace(/\/$/, '')}/${settings.scope.replace(/^\//, '')}/providers/Microsoft.CostManagement/query?api-version=${settings.apiVersion}`;
    let pages = 0;
    try {
      while (url) {
        // nextLink comes from the remote: it must point at an allowed host too, or the token would follow it.
        ctx.egress.check(url, 'settings.endpoint');
        const page = await this.post(url, token, body);
        pages++;
        const index = new Map(page.properties.columns.map((c, i) => [c.name, i]));
        for (const row of page.properties.rows) {
          if (!out.write(JSON.stringify(focusRow(row, index, settings)) + '\n')) await once(out, 'drain');
        }
        url = page.properties.nextLink ?? undefined;
      }
    } finally {
      out.end();
      await once(out, 'finish');
    }
    return {
      files: [{ location: { kind: 'local', path }, name: `azure-cost-query:${settings.type} ${day(start)}..${day(end)}`, format: 'focus' }],
      periods: monthsBetween(start, new Date(end.getTime() - 1)),
      inputs: [`Cost Management query ${settings.type} ${settings.scope} ${day(start)}..${day(end)} (${pages} pages)`],
      cursor: { throughDay: day(new Date(end.getTime() - 86_400_000)) },
    };
  }

  private async token(settings: SourceSettings<'azure-cost-query'>, credentials: { tenantId: string; clientId: string; clientSecret: string }): Promise<string> {
    const res = await fetch(`${settings.authorityHost.replace(/\/$/, '')}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`, {
      method: 'POST',
      redirect: 'error',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        scope: `${new URL(settings.endpoint).origin}/.default`,
      }),
    }).catch((error: unknown) => {
      throw new UnavailableError(`Azure token endpoint unreachable: ${(error as Error).message}`, error);
    });
    const json = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
    // Entra's error code (AADSTS…) says what is wrong; the rest of the answer is not echoed.
    const code = /\bAADSTS\d{1,8}\b/.exec(String(json.error_description ?? ''))?.[0];
    if (!res.ok || !json.access_token) throw ValidationError.field('credentials', `Azure refused the service principal: ${code ?? `HTTP ${res.status}`}`);
    return json.access_token;
  }

  private async post(url: string, token: string, body: unknown): Promise<QueryResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, { method: 'POST', redirect: 'error', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch((error: unknown) => {
        throw new UnavailableError(`Azure Cost Management unreachable: ${(error as Error).message}`, error);
      });
      if (res.status === 429 || res.status === 503) {
        const wait = Number(res.headers.get('x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after') ?? res.headers.get('retry-after') ?? '10');
        if (attempt >= MAX_THROTTLE_RETRIES) throw new UnavailableError(`Azure Cost Management throttled the query ${attempt + 1} times`);
        await res.arrayBuffer();
        await delay(Math.min(Math.max(wait, 0), 60) * 1000);
        continue;
      }
      const text = await res.text();
      if (!res.ok) {
        const message = `Azure Cost Management query failed: HTTP ${res.status}`;
        if (res.status >= 500) throw new UnavailableError(message);
        throw ValidationError.field('settings', message);
      }
      return JSON.parse(text) as QueryResponse;
    }
  }
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Costs arrive as JSON numbers; String() gives their shortest round-trip form, i.e. the digits Azure sent. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? String(value) : String(value);
}

function focusRow(row: unknown[], index: Map<string, number>, settings: SourceSettings<'azure-cost-query'>): Record<string, string | null> {
  const get = (...names: string[]) => {
    for (const n of names) if (index.has(n)) return text(row[index.get(n)!]);
    return null;
  };
  const usageDate = get('UsageDate') ?? '';
  const dayText = /^\d{8}$/.test(usageDate) ? `${usageDate.slice(0, 4)}-${usageDate.slice(4, 6)}-${usageDate.slice(6, 8)}` : usageDate.slice(0, 10);
  const next = new Date(`${dayText}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const monthStart = `${dayText.slice(0, 7)}-01`;
  const monthEnd = new Date(`${monthStart}T00:00:00Z`);
  monthEnd.setUTCMonth(monthEnd.getUTCMonth() + 1);
  const tagKey = get('TagKey');
  const tagValue = get('TagValue');
  const cost = get('Cost', 'PreTaxCost', 'CostUSD');
  const usage = [get('MeterSubCategory'), get('Meter'), get('MeterName')].filter(Boolean).join(' ');
  return {
    ProviderName: 'Microsoft',
    PublisherName: get('PublisherName') ?? 'Microsoft',
    InvoiceIssuerName: 'Microsoft',
    BillingAccountId: settings.scope,
    SubAccountId: get('SubscriptionId') ?? '',
    SubAccountName: get('SubscriptionName') ?? '',
    ServiceName: get('ServiceName', 'MeterCategory', 'MeterSubCategory') ?? '',
    ServiceCategory: get('ServiceFamily') ?? '',
    RegionId: (get('ResourceLocation') ?? '').toLowerCase(),
    ResourceId: get('ResourceId') ?? '',
    BilledCost: cost,
    EffectiveCost: cost,
    BillingCurrency: get('Currency', 'BillingCurrency'),
    ChargePeriodStart: dayText,
    ChargePeriodEnd: day(next),
    BillingPeriodStart: monthStart,
    BillingPeriodEnd: day(monthEnd),
    ChargeCategory: (get('ChargeType') ?? 'Usage') === 'Purchase' ? 'Purchase' : 'Usage',
    ChargeFrequency: 'Usage-Based',
    ChargeDescription: usage,
    x_UsageType: usage,
    Tags: JSON.stringify(tagKey && tagValue ? { [tagKey]: tagValue } : {}),
  };
}
