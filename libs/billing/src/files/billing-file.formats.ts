import { aiLabelColumns } from '../labels/ai-labels.sql';

/** File layouts the ledger reads. CUR covers both the legacy `lineItem/…` headers and CUR 2.0's snake_case. */
export const BILLING_FILE_FORMATS = ['focus', 'aws-cur', 'azure-actual', 'azure-amortized'] as const;
export type BillingFileFormat = (typeof BILLING_FILE_FORMATS)[number];

/** A value the file gives as text that must parse as a number or a timestamp; checked line by line when an insert fails. */
export interface CheckedField {
  /** Ledger column it feeds (names the problem). */
  field: string;
  /** Header name in the file. */
  column: string;
  kind: 'money' | 'quantity' | 'time' | 'time-us';
  required: boolean;
}

export interface FileMapping {
  format: BillingFileFormat;
  /** Ledger column → SQL expression over the file's columns. */
  select: Record<string, string>;
  checks: CheckedField[];
}

/** Every ledger column a mapping fills; provenance columns are added by the ingester. */
export const LEDGER_DATA_COLUMNS = [
  'billing_period', 'ProviderName', 'PublisherName', 'InvoiceIssuerName', 'BillingAccountId', 'BillingAccountName', 'SubAccountId',
  'SubAccountName', 'BillingCurrency', 'BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'BillingPeriodStart',
  'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd', 'ChargeCategory', 'ChargeClass', 'ChargeFrequency',
  'ChargeDescription', 'ServiceName', 'ServiceCategory', 'SkuId', 'SkuPriceId', 'ResourceId', 'ResourceName', 'ResourceType',
  'RegionId', 'RegionName', 'AvailabilityZone', 'ConsumedQuantity', 'ConsumedUnit', 'PricingQuantity', 'PricingUnit',
  'CommitmentDiscountId', 'CommitmentDiscountType', 'Tags', 'ai_service', 'ai_model', 'usage_type',
] as const;

export class HeaderProblem extends Error {
  constructor(readonly missing: string[], message: string) {
    super(message);
  }
}

/** Quotes a header name as a ClickHouse identifier (headers come from the file, so escape, never trust). */
export function quoteColumn(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** Turns legacy CUR names (`lineItem/UnblendedCost`) into CUR 2.0 names (`line_item_unblended_cost`). */
export function curColumnName(header: string): string {
  return header
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/\//g, '_')
    .toLowerCase();
}

/**
 * The file's columns by the name a mapping asks for. Every value is read as text (the ingester makes ClickHouse
 * infer all CSV columns as Nullable(String)); empty strings and the literal `NULL` exports write are NULL.
 */
class Columns {
  private readonly byName = new Map<string, string>();

  constructor(headers: string[], normalise: (h: string) => string = (h) => h) {
    for (const h of headers) if (!this.byName.has(normalise(h))) this.byName.set(normalise(h), h);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  header(name: string): string | undefined {
    return this.byName.get(name);
  }

  /** Nullable(String) SQL for a column, NULL when the file lacks it. */
  text(...names: string[]): string {
    const present = names.filter((n) => this.byName.has(n));
    if (present.length === 0) return `CAST(NULL, 'Nullable(String)')`;
    // No trimming here (a copy of every value of every column); numbers and currencies are trimmed where parsed.
    const exprs = present.map((n) => `nullIf(nullIf(toString(${quoteColumn(this.byName.get(n)!)}), 'NULL'), '')`);
    return exprs.length === 1 ? exprs[0] : `coalesce(${exprs.join(', ')})`;
  }

  str(...names: string[]): string {
    return `ifNull(${this.text(...names)}, '')`;
  }

  require(names: string[][], format: string): void {
    const missing = names.filter((alternatives) => !alternatives.some((n) => this.has(n))).map((a) => a.join(' or '));
    if (missing.length) throw new HeaderProblem(missing, `not a ${format} header: missing column ${missing.join(', ')}`);
  }
}

/** NOT NULL money: an empty value fails the insert (and the line is then named), it is never read as 0. */
function requiredMoney(expr: string, field: string): string {
  return `toDecimal128(trimBoth(if(isNull(${expr}), toString(throwIf(isNull(${expr}), 'empty ${field}')), assumeNotNull(${expr}))), 12)`;
}
const optionalMoney = (expr: string) => `toDecimal128(trimBoth(${expr}), 12)`;
const time = (expr: string) => `parseDateTime64BestEffort(assumeNotNull(${expr}), 3, 'UTC')`;
const timeUS = (expr: string) => `parseDateTime64BestEffortUS(assumeNotNull(${expr}), 3, 'UTC')`;
/** Tags as a map: JSON objects, Azure's brace-less `"k": "v", …` text, or already a Map (Parquet). */
function tags(expr: string): string {
  return `if(isNull(${expr}), map(), JSONExtract(if(startsWith(assumeNotNull(${expr}), '{'), assumeNotNull(${expr}), concat('{', assumeNotNull(${expr}), '}')), 'Map(String, String)'))`;
}

/**
 * Layouts a header cannot tell apart: EA/MCA actual and amortized cost details have the same columns, and reading one
 * as the other misstates commitment purchases and usage. The ingester asks for `format` rather than guess.
 */
export const AMBIGUOUS_FORMATS: Partial<Record<BillingFileFormat, readonly BillingFileFormat[]>> = {
  'azure-actual': ['azure-actual', 'azure-amortized'],
};

/** Picks the layout from the header when the caller did not say (an Azure cost details header is in AMBIGUOUS_FORMATS). */
export function detectFormat(headers: string[]): BillingFileFormat | undefined {
  const set = new Set(headers);
  const focusCore = ['BilledCost', 'EffectiveCost', 'BillingCurrency', 'ChargePeriodStart', 'BillingPeriodStart', 'ChargeCategory', 'ServiceName'];
  // Most of FOCUS's mandatory columns: a FOCUS file, so a missing one is named rather than the file being "unknown".
  if (focusCore.filter((c) => set.has(c)).length >= 5) return 'focus';
  if (headers.some((h) => curColumnName(h) === 'line_item_unblended_cost')) return 'aws-cur';
  if ((set.has('Cost') || set.has('CostInBillingCurrency')) && set.has('MeterCategory')) return 'azure-actual';
  return undefined;
}

export function buildMapping(format: BillingFileFormat, headers: string[]): FileMapping {
  switch (format) {
    case 'focus':
      return focusMapping(headers);
    case 'aws-cur':
      return curMapping(headers);
    case 'azure-actual':
    case 'azure-amortized':
      return azureMapping(headers, format);
  }
}

/** FOCUS 1.0–1.2 (any provider; 1.3's ServiceProviderName/HostProviderName accepted in place of ProviderName/PublisherName). */
function focusMapping(headers: string[]): FileMapping {
  const c = new Columns(headers);
  c.require(
    [['BilledCost'], ['EffectiveCost'], ['BillingCurrency'], ['ChargePeriodStart'], ['ChargePeriodEnd'], ['BillingPeriodStart'],
      ['BillingPeriodEnd'], ['BillingAccountId'], ['ServiceName'], ['ProviderName', 'ServiceProviderName']],
    'FOCUS',
  );
  const select: Record<string, string> = {
    billing_period: `toStartOfMonth(${time(c.text('BillingPeriodStart'))})`,
    ProviderName: c.str('ProviderName', 'ServiceProviderName'),
    PublisherName: c.str('PublisherName', 'HostProviderName', 'ProviderName'),
    InvoiceIssuerName: c.str('InvoiceIssuerName'),
    BillingAccountId: c.str('BillingAccountId'),
    BillingAccountName: c.str('BillingAccountName'),
    SubAccountId: c.str('SubAccountId'),
    SubAccountName: c.str('SubAccountName'),
    BillingCurrency: `trimBoth(${c.str('BillingCurrency')})`,
    BilledCost: requiredMoney(c.text('BilledCost'), 'BilledCost'),
    EffectiveCost: requiredMoney(c.text('EffectiveCost'), 'EffectiveCost'),
    ListCost: optionalMoney(c.text('ListCost')),
    ContractedCost: optionalMoney(c.text('ContractedCost')),
    BillingPeriodStart: time(c.text('BillingPeriodStart')),
    BillingPeriodEnd: time(c.text('BillingPeriodEnd')),
    ChargePeriodStart: time(c.text('ChargePeriodStart')),
    ChargePeriodEnd: time(c.text('ChargePeriodEnd')),
    ChargeCategory: c.str('ChargeCategory'),
    ChargeClass: c.str('ChargeClass'),
    ChargeFrequency: c.str('ChargeFrequency'),
    ChargeDescription: c.str('ChargeDescription'),
    ServiceName: c.str('ServiceName'),
    ServiceCategory: c.str('ServiceCategory'),
    SkuId: c.str('SkuId'),
    SkuPriceId: c.str('SkuPriceId'),
    ResourceId: c.str('ResourceId'),
    ResourceName: c.str('ResourceName'),
    ResourceType: c.str('ResourceType'),
    RegionId: c.str('RegionId'),
    RegionName: c.str('RegionName'),
    AvailabilityZone: c.str('AvailabilityZone'),
    ConsumedQuantity: optionalMoney(c.text('ConsumedQuantity')),
    ConsumedUnit: c.str('ConsumedUnit'),
    PricingQuantity: optionalMoney(c.text('PricingQuantity')),
    PricingUnit: c.str('PricingUnit'),
    CommitmentDiscountId: c.str('CommitmentDiscountId'),
    CommitmentDiscountType: c.str('CommitmentDiscountType'),
    Tags: tags(c.text('Tags')),
    ...aiLabelColumns({
      service: c.text('ServiceName'),
      usage: c.text('x_UsageType', 'x_SkuMeterName', 'SkuMeter', 'ConsumedUnit'),
      description: c.text('ChargeDescription'),
      // Not SkuId: provider SKU ids are random strings ("…SGPUZK") that would read as GPUs.
      gpuHints: `concat(${c.str('ResourceType')}, ' ', ${c.str('x_SkuInstanceType', 'x_InstanceType', 'SkuPriceDetails')})`,
    }),
  };
  const checks: CheckedField[] = [
    ...['BilledCost', 'EffectiveCost'].map((f) => ({ field: f, column: f, kind: 'money' as const, required: true })),
    ...['ListCost', 'ContractedCost'].filter((f) => c.has(f)).map((f) => ({ field: f, column: f, kind: 'money' as const, required: false })),
    ...['ConsumedQuantity', 'PricingQuantity'].filter((f) => c.has(f)).map((f) => ({ field: f, column: f, kind: 'quantity' as const, required: false })),
    ...['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd'].map((f) => ({ field: f, column: f, kind: 'time' as const, required: true })),
  ];
  return { format: 'focus', select, checks };
}

/**
 * AWS Cost and Usage Report, legacy or 2.0. BilledCost is the unblended cost; EffectiveCost is the amortized cost
 * (Savings Plan and RI covered usage at their effective cost, the negations and up-front fees that amortization
 * spreads out at zero) — the same rules the FOCUS converters and AWS's own FOCUS export apply.
 */
function curMapping(headers: string[]): FileMapping {
  const c = new Columns(headers, curColumnName);
  c.require(
    [['line_item_unblended_cost'], ['line_item_currency_code'], ['line_item_usage_start_date'], ['line_item_usage_end_date'],
      ['bill_billing_period_start_date'], ['bill_billing_period_end_date'], ['bill_payer_account_id'], ['line_item_line_item_type']],
    'AWS CUR',
  );
  const type = c.str('line_item_line_item_type');
  const unblended = requiredMoney(c.text('line_item_unblended_cost'), 'line_item_unblended_cost');
  const legacyTags = headers.filter((h) => /^resourceTags\/(user|aws):/.test(h));
  const tagMap = c.has('resource_tags')
    ? tags(c.text('resource_tags'))
    : legacyTags.length
      ? `mapFilter((k, v) -> v != '', map(${legacyTags.map((h) => `'${h.replace(/^resourceTags\/(user|aws):/, (_m, p) => (p === 'aws' ? 'aws:' : '')).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}', ifNull(${new Columns([h]).text(h)}, '')`).join(', ')}))`
      : 'map()';
  const service = `coalesce(${c.text('product_product_name')}, ${c.text('product_servicename')}, ${c.text('line_item_product_code')}, '')`;
  const select: Record<string, string> = {
    billing_period: `toStartOfMonth(${time(c.text('bill_billing_period_start_date'))})`,
    ProviderName: `'AWS'`,
    PublisherName: `'Amazon Web Services'`,
    InvoiceIssuerName: `coalesce(${c.text('bill_invoicing_entity')}, ${c.text('line_item_legal_entity')}, 'Amazon Web Services')`,
    BillingAccountId: c.str('bill_payer_account_id'),
    BillingAccountName: c.str('bill_payer_account_name'),
    SubAccountId: c.str('line_item_usage_account_id'),
    SubAccountName: c.str('line_item_usage_account_name'),
    BillingCurrency: `trimBoth(${c.str('line_item_currency_code')})`,
    BilledCost: unblended,
    EffectiveCost: `multiIf(
      ${type} = 'SavingsPlanCoveredUsage', ${optionalMoney(`ifNull(${c.text('savings_plan_savings_plan_effective_cost')}, '0')`)},
      ${type} = 'DiscountedUsage', ${optionalMoney(`ifNull(${c.text('reservation_effective_cost')}, '0')`)},
      ${type} IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee', 'RIFee'), toDecimal128(0, 12),
      ${unblended})`,
    ListCost: optionalMoney(c.text('pricing_public_on_demand_cost')),
    ContractedCost: `CAST(NULL, 'Nullable(Decimal(38, 12))')`,
    BillingPeriodStart: time(c.text('bill_billing_period_start_date')),
    BillingPeriodEnd: time(c.text('bill_billing_period_end_date')),
    ChargePeriodStart: time(c.text('line_item_usage_start_date')),
    ChargePeriodEnd: time(c.text('line_item_usage_end_date')),
    ChargeCategory: `multiIf(${type} IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'), 'Usage',
      ${type} = 'Tax', 'Tax', ${type} IN ('Credit', 'Refund', 'BundledDiscount', 'EdpDiscount', 'PrivateRateDiscount', 'SppDiscount'), 'Credit',
      ${type} IN ('Fee', 'RIFee', 'SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee'), 'Purchase', 'Adjustment')`,
    ChargeClass: `if(${c.str('bill_bill_type')} = 'Refund', 'Correction', '')`,
    ChargeFrequency: `multiIf(${type} IN ('Fee', 'SavingsPlanUpfrontFee'), 'One-Time', ${type} IN ('RIFee', 'SavingsPlanRecurringFee'), 'Recurring', 'Usage-Based')`,
    ChargeDescription: c.str('line_item_line_item_description'),
    ServiceName: service,
    ServiceCategory: c.str('product_product_family'),
    SkuId: c.str('product_sku'),
    SkuPriceId: c.str('pricing_rate_id', 'pricing_rate_code'),
    ResourceId: c.str('line_item_resource_id'),
    ResourceName: c.str('line_item_resource_id'),
    ResourceType: c.str('product_instance_type', 'product_product_family'),
    RegionId: c.str('product_region_code', 'product_region'),
    RegionName: c.str('product_location', 'product_region'),
    AvailabilityZone: c.str('line_item_availability_zone'),
    ConsumedQuantity: optionalMoney(c.text('line_item_usage_amount')),
    ConsumedUnit: c.str('pricing_unit'),
    PricingQuantity: optionalMoney(c.text('line_item_usage_amount')),
    PricingUnit: c.str('pricing_unit'),
    CommitmentDiscountId: c.str('savings_plan_savings_plan_a_r_n', 'savings_plan_savings_plan_arn', 'reservation_reservation_a_r_n', 'reservation_reservation_arn'),
    CommitmentDiscountType: `multiIf(${type} = 'SavingsPlanCoveredUsage', 'Savings Plan', ${type} = 'DiscountedUsage', 'Reservation', '')`,
    Tags: tagMap,
    ...aiLabelColumns({
      service,
      usage: c.text('line_item_usage_type'),
      description: c.text('line_item_line_item_description'),
      gpuHints: `concat(${c.str('product_instance_type')}, ' ', ${c.str('line_item_usage_type')})`,
    }),
  };
  const money = ['line_item_unblended_cost', 'savings_plan_savings_plan_effective_cost', 'reservation_effective_cost', 'pricing_public_on_demand_cost'];
  const checks: CheckedField[] = [
    ...money.filter((n) => c.has(n)).map((n) => ({ field: n === 'line_item_unblended_cost' ? 'BilledCost' : n, column: c.header(n)!, kind: 'money' as const, required: n === 'line_item_unblended_cost' })),
    ...(c.has('line_item_usage_amount') ? [{ field: 'ConsumedQuantity', column: c.header('line_item_usage_amount')!, kind: 'quantity' as const, required: false }] : []),
    ...['bill_billing_period_start_date', 'bill_billing_period_end_date', 'line_item_usage_start_date', 'line_item_usage_end_date'].map((n) => ({
      field: n, column: c.header(n)!, kind: 'time' as const, required: true,
    })),
  ];
  return { format: 'aws-cur', select, checks };
}

/**
 * Azure cost details exports, EA and MCA layouts (EA: Cost, BillingCurrency, US-format dates; MCA: CostInBillingCurrency,
 * BillingCurrencyCode). An actual-cost file bills purchases when bought: BilledCost = Cost, and commitment purchases
 * have no EffectiveCost (amortization spreads them over usage). An amortized file prices reservation/savings-plan
 * usage at its share of the commitment: EffectiveCost = Cost, and that usage was not billed itself (BilledCost 0).
 */
function azureMapping(headers: string[], format: 'azure-actual' | 'azure-amortized'): FileMapping {
  const c = new Columns(headers);
  c.require([['Cost', 'CostInBillingCurrency'], ['BillingCurrency', 'BillingCurrencyCode'], ['Date'], ['BillingPeriodStartDate'], ['BillingPeriodEndDate']], 'Azure cost details');
  const costColumn = c.has('CostInBillingCurrency') ? 'CostInBillingCurrency' : 'Cost';
  const cost = requiredMoney(c.text(costColumn), costColumn);
  const chargeType = c.str('ChargeType');
  const pricingModel = c.str('PricingModel');
  const commitmentUsage = `(${chargeType} = 'Usage' AND ${pricingModel} IN ('Reservation', 'SavingsPlan'))`;
  const commitmentPurchase = `(${chargeType} IN ('Purchase', 'UnusedReservation', 'UnusedSavingsPlan') AND ${pricingModel} IN ('Reservation', 'SavingsPlan'))`;
  const date = timeUS(c.text('Date'));
  const service = c.str('MeterCategory', 'ServiceName', 'ConsumedService');
  const quantity = optionalMoney(c.text('Quantity'));
  const select: Record<string, string> = {
    billing_period: `toStartOfMonth(${timeUS(c.text('BillingPeriodStartDate'))})`,
    ProviderName: `'Microsoft'`,
    PublisherName: `if(${c.str('PublisherName')} = '', 'Microsoft', ${c.str('PublisherName')})`,
    InvoiceIssuerName: `'Microsoft'`,
    BillingAccountId: c.str('BillingAccountId'),
    BillingAccountName: c.str('BillingAccountName'),
    SubAccountId: c.str('SubscriptionId'),
    SubAccountName: c.str('SubscriptionName'),
    BillingCurrency: `trimBoth(${c.str('BillingCurrency', 'BillingCurrencyCode')})`,
    BilledCost: format === 'azure-actual' ? cost : `if(${commitmentUsage}, toDecimal128(0, 12), ${cost})`,
    EffectiveCost: format === 'azure-actual' ? `if(${commitmentPurchase}, toDecimal128(0, 12), ${cost})` : cost,
    ListCost: `toDecimal128(${c.text('PayGPrice')}, 12) * ${quantity}`,
    ContractedCost: `toDecimal128(${c.text('UnitPrice')}, 12) * ${quantity}`,
    BillingPeriodStart: timeUS(c.text('BillingPeriodStartDate')),
    // Azure's end date is the last day of the period; FOCUS ends are exclusive.
    BillingPeriodEnd: `${timeUS(c.text('BillingPeriodEndDate'))} + INTERVAL 1 DAY`,
    ChargePeriodStart: date,
    ChargePeriodEnd: `${date} + INTERVAL 1 DAY`,
    ChargeCategory: `multiIf(${chargeType} IN ('Usage', 'UnusedReservation', 'UnusedSavingsPlan'), 'Usage', ${chargeType} = 'Purchase', 'Purchase', ${chargeType} = 'Tax', 'Tax', ${chargeType} IN ('Refund', 'Credit'), 'Credit', 'Adjustment')`,
    ChargeClass: `if(${chargeType} = 'Refund', 'Correction', '')`,
    ChargeFrequency: `multiIf(${c.str('Frequency')} = 'Recurring', 'Recurring', ${c.str('Frequency')} = 'OneTime', 'One-Time', 'Usage-Based')`,
    ChargeDescription: c.str('Product', 'ProductName'),
    ServiceName: service,
    ServiceCategory: c.str('ServiceFamily'),
    SkuId: c.str('PartNumber', 'ProductId'),
    SkuPriceId: c.str('MeterId'),
    ResourceId: c.str('ResourceId', 'InstanceName'),
    ResourceName: c.str('ResourceName'),
    ResourceType: c.str('ConsumedService'),
    RegionId: `lower(${c.str('ResourceLocation')})`,
    RegionName: c.str('MeterRegion'),
    AvailabilityZone: c.str('AvailabilityZone'),
    ConsumedQuantity: quantity,
    ConsumedUnit: c.str('UnitOfMeasure'),
    PricingQuantity: quantity,
    PricingUnit: c.str('UnitOfMeasure'),
    CommitmentDiscountId: c.str('benefitId', 'ReservationId'),
    CommitmentDiscountType: `multiIf(${pricingModel} = 'Reservation', 'Reservation', ${pricingModel} = 'SavingsPlan', 'Savings Plan', '')`,
    Tags: tags(c.text('Tags')),
    ...aiLabelColumns({
      service,
      usage: `concat(${c.str('MeterSubCategory')}, ' ', ${c.str('MeterName')})`,
      description: c.text('Product', 'ProductName'),
      gpuHints: `concat(${c.str('MeterSubCategory')}, ' ', ${c.str('AdditionalInfo')})`,
    }),
  };
  const checks: CheckedField[] = [
    { field: 'BilledCost', column: costColumn, kind: 'money', required: true },
    ...['PayGPrice', 'UnitPrice'].filter((n) => c.has(n)).map((n) => ({ field: n, column: n, kind: 'money' as const, required: false })),
    ...(c.has('Quantity') ? [{ field: 'ConsumedQuantity', column: 'Quantity', kind: 'quantity' as const, required: false }] : []),
    ...['Date', 'BillingPeriodStartDate', 'BillingPeriodEndDate'].map((n) => ({ field: n, column: n, kind: 'time-us' as const, required: true })),
  ];
  return { format, select, checks };
}

/** The diagnosis predicate for one checked field: true on a line whose value does not parse. */
export function badValuePredicate(check: CheckedField): string {
  const v = new Columns([check.column]).text(check.column);
  const parses =
    check.kind === 'money' || check.kind === 'quantity'
      ? `isNotNull(toDecimal128OrNull(trimBoth(${v}), 12))`
      : check.kind === 'time'
        ? `isNotNull(parseDateTime64BestEffortOrNull(${v}, 3, 'UTC'))`
        : `isNotNull(parseDateTime64BestEffortUSOrNull(${v}, 3, 'UTC'))`;
  return check.required ? `(isNull(${v}) OR NOT ${parses})` : `(isNotNull(${v}) AND NOT ${parses})`;
}
