-- The billing ledger: FOCUS-aligned cost lines from every billing source, with provenance (which source, file or
-- query, line, sync run) and AI labels. Money is Decimal(38, 12), currency beside it.
-- Restatement: a sync stages a source's lines into billing_lines_staging, validates them there, then swaps each
-- (source_id, billing_period) partition into the ledger with REPLACE PARTITION, one atomic step per period, so a
-- query sees either the old lines or the new ones, never both and never neither. Plain MergeTree is right here
-- (no ReplacingMergeTree): whole partitions are replaced, rows are never re-sent one by one.
CREATE TABLE IF NOT EXISTS billing_lines
(
    source_id String,
    billing_period Date,
    source_kind LowCardinality(String),
    source_file String,
    source_line UInt64,
    sync_run_id String,
    ingest_version UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    ProviderName LowCardinality(String),
    PublisherName LowCardinality(String),
    InvoiceIssuerName LowCardinality(String),
    BillingAccountId String,
    BillingAccountName String,
    SubAccountId String,
    SubAccountName String,
    BillingCurrency LowCardinality(String),
    BilledCost Decimal(38, 12),
    EffectiveCost Decimal(38, 12),
    ListCost Nullable(Decimal(38, 12)),
    ContractedCost Nullable(Decimal(38, 12)),
    BillingPeriodStart DateTime64(3, 'UTC'),
    BillingPeriodEnd DateTime64(3, 'UTC'),
    ChargePeriodStart DateTime64(3, 'UTC'),
    ChargePeriodEnd DateTime64(3, 'UTC'),
    ChargeCategory LowCardinality(String),
    ChargeClass LowCardinality(String),
    ChargeFrequency LowCardinality(String),
    ChargeDescription String,
    ServiceName LowCardinality(String),
    ServiceCategory LowCardinality(String),
    SkuId String,
    SkuPriceId String,
    ResourceId String,
    ResourceName String,
    ResourceType LowCardinality(String),
    RegionId LowCardinality(String),
    RegionName LowCardinality(String),
    AvailabilityZone LowCardinality(String),
    ConsumedQuantity Nullable(Decimal(38, 12)),
    ConsumedUnit LowCardinality(String),
    PricingQuantity Nullable(Decimal(38, 12)),
    PricingUnit LowCardinality(String),
    CommitmentDiscountId String,
    CommitmentDiscountType LowCardinality(String),
    Tags Map(String, String),
    ai_service LowCardinality(String),
    ai_model LowCardinality(String),
    usage_type LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY (source_id, billing_period)
ORDER BY (toDate(ChargePeriodStart), ProviderName, BillingAccountId, SubAccountId, ServiceName);
-- Same structure, partition key and sorting key as billing_lines: REPLACE PARTITION requires it. Any later
-- migration that alters billing_lines must alter this table the same way.
CREATE TABLE IF NOT EXISTS billing_lines_staging AS billing_lines;
