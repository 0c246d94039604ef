import { ValidationError, UnavailableError, parseDecimal, toMoneyString, parseOrThrow } from '@tollgate/core';
import { sourceSettingsSchemas, type SourceSettings } from '../sources/billing-source.settings';
import { BillingConnector, CollectContext, CollectedInput, monthsBetween, syncWindow } from './billing.connector';

/** A self-hosted deployment and the OpenCost allocations that serve it (`tollgate.model_deployments.opencost_selector`). */
export interface DeploymentSelector {
  deploymentId: string;
  model: string;
  selector: { cluster?: string; namespace?: string; pod?: string; controller?: string; labels?: Record<string, string>; matchLabels?: Record<string, string> };
}

type Allocation = Record<string, unknown> & {
  name?: string;
  properties?: { cluster?: string; namespace?: string; pod?: string; controller?: string; labels?: Record<string, string>; namespaceLabels?: Record<string, string> };
  window?: { start?: string; end?: string };
  start?: string;
  end?: string;
};

/**
 * OpenCost `/allocation/compute` over a month, one set per `step`, idle included (`__idle__`) and the
 * unallocated remainder (`__unallocated__`) kept, with the GPU fields, each allocation matched to the self-hosted
 * deployment whose selector it satisfies. Numbers arrive as JSON numbers; they are taken through their shortest
 * round-trip text, which is the text OpenCost wrote.
 */
export class OpenCostConnector implements BillingConnector {
  constructor(private readonly deployments: () => Promise<DeploymentSelector[]>) {}

  async collect(ctx: CollectContext): Promise<CollectedInput> {
    const settings = parseOrThrow(sourceSettingsSchemas['opencost'].settings, ctx.settings, { prefix: 'settings' });
    const { start, end } = syncWindow(ctx, settings.restatementMonths);
    const url = new URL(`${settings.endpoint.replace(/\/$/, '')}/allocation/compute`);
    url.searchParams.set('window', `${start.toISOString().slice(0, 19)}Z,${end.toISOString().slice(0, 19)}Z`);
    url.searchParams.set('step', settings.step);
    url.searchParams.set('aggregate', settings.aggregate);
    url.searchParams.set('includeIdle', 'true');
    url.searchParams.set('accumulate', 'false');
    const res = await fetch(url, { redirect: 'error' }).catch((error: unknown) => {
      throw new UnavailableError(`OpenCost unreachable at ${settings.endpoint}: ${(error as Error).message}`, error);
    });
    const text = await res.text();
    // Only the status, never the body: the endpoint may be an internal service whose answer must not leak out here.
    if (!res.ok) {
      const message = `OpenCost /allocation/compute answered HTTP ${res.status}`;
      if (res.status >= 500 || res.status === 429) throw new UnavailableError(message);
      throw ValidationError.field('settings.endpoint', message);
    }
    let body: { code?: number; data?: Record<string, Allocation>[] | null; message?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw ValidationError.field('settings.endpoint', `${settings.endpoint} did not answer with OpenCost's JSON (HTTP ${res.status})`);
    }
    if (body.code !== undefined && body.code !== 200) throw new UnavailableError(`OpenCost answered error code ${Number(body.code)}`);
    const selectors = await this.deployments();
    const rows: Record<string, unknown>[] = [];
    for (const set of body.data ?? []) {
      for (const [key, allocation] of Object.entries(set ?? {})) {
        rows.push(allocationRow(key, allocation, settings, selectors));
      }
    }
    return {
      files: [],
      gpuAllocations: rows,
      periods: monthsBetween(start, new Date(end.getTime() - 1)),
      inputs: [`GET /allocation/compute window=${url.searchParams.get('window')} step=${settings.step} aggregate=${settings.aggregate} includeIdle=true (${rows.length} allocations)`],
      cursor: { throughDay: new Date(end.getTime() - 86_400_000).toISOString().slice(0, 10) },
    };
  }
}

const num = (v: unknown) => toMoneyString(parseDecimal(typeof v === 'number' || typeof v === 'string' ? v : 0));

function allocationRow(key: string, a: Allocation, settings: SourceSettings<'opencost'>, selectors: DeploymentSelector[]): Record<string, unknown> {
  const props = a.properties ?? {};
  const labels = { ...(props.namespaceLabels ?? {}), ...(props.labels ?? {}) };
  const windowStart = a.window?.start ?? a.start ?? '';
  const windowEnd = a.window?.end ?? a.end ?? '';
  const cluster = props.cluster ?? settings.cluster ?? '';
  const isIdle = key === '__idle__' || key.endsWith('/__idle__');
  const isUnallocated = key === '__unallocated__' || key.includes('__unallocated__');
  const match = isIdle || isUnallocated ? undefined : selectors.find((d) => matches(d.selector, { cluster, namespace: props.namespace, pod: props.pod, controller: props.controller, labels }));
  return {
    billing_period: `${windowStart.slice(0, 7)}-01`,
    window_start: windowStart.replace('T', ' ').replace('Z', ''),
    window_end: windowEnd.replace('T', ' ').replace('Z', ''),
    cluster,
    aggregate: settings.aggregate,
    name: a.name ?? key,
    namespace: props.namespace ?? (settings.aggregate === 'namespace' && !isIdle && !isUnallocated ? key : ''),
    pod: props.pod ?? '',
    controller: props.controller ?? '',
    labels,
    is_idle: isIdle,
    is_unallocated: isUnallocated,
    minutes: num(a.minutes),
    gpu_count: num(a.gpuCount),
    gpu_request_average: num(a.gpuRequestAverage),
    gpu_usage_average: num(a.gpuUsageAverage),
    gpu_hours: num(a.gpuHours),
    gpu_cost: num(a.gpuCost),
    gpu_cost_adjustment: num(a.gpuCostAdjustment),
    gpu_cost_idle: num(a.gpuCostIdle),
    gpu_efficiency: num(a.gpuEfficiency),
    cpu_cost: num(a.cpuCost),
    ram_cost: num(a.ramCost),
    total_cost: num(a.totalCost),
    currency: settings.currency,
    deployment_id: match?.deploymentId ?? '',
    model: match?.model ?? '',
  };
}

function matches(selector: DeploymentSelector['selector'], target: { cluster: string; namespace?: string; pod?: string; controller?: string; labels: Record<string, string> }): boolean {
  if (selector.cluster !== undefined && selector.cluster !== target.cluster) return false;
  if (selector.namespace !== undefined && selector.namespace !== target.namespace) return false;
  if (selector.controller !== undefined && selector.controller !== target.controller) return false;
  if (selector.pod !== undefined && !(target.pod ?? '').startsWith(selector.pod)) return false;
  const wanted = { ...(selector.labels ?? {}), ...(selector.matchLabels ?? {}) };
  const keys = Object.keys(wanted);
  if (keys.length === 0 && selector.namespace === undefined && selector.pod === undefined && selector.controller === undefined) return false;
  return keys.every((k) => target.labels[k] === wanted[k]);
}
