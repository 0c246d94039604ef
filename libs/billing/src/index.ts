export { BILLING_FILE_FORMATS, type BillingFileFormat } from './files/billing-file.formats';
export { checkUploadContentType, receiveUpload, uploadKind } from './files/billing-upload.receiver';
export { ClickHouseFileAccess } from './files/clickhouse-file-access';
export { FileNameGlob, GLOB_SYNTAX } from './files/file-name.glob';
export { BillingEgressPolicy, DEFAULT_EGRESS_HOSTS } from './egress/billing-egress.policy';
export { BillingInputError } from './ledger/billing-ledger.repository';
export { LEDGER_COSTS_PARAMETERS, LEDGER_DIMENSIONS, parseLedgerCostsQuery, type LedgerCostsQuery } from './ledger/ledger-costs.query';
export {
  LEDGER_COSTS_EXAMPLE,
  LedgerCostsService,
  ledgerCostsSchema,
  ledgerCostsToCsv,
  type LedgerCostRow,
  type LedgerCosts,
} from './ledger/ledger-costs.service';
export { BillingLedgerSync } from './ledger/billing-ledger.sync';
export {
  EXAMPLE_REMOVAL,
  EXAMPLE_RUN,
  EXAMPLE_SOURCE,
  billingSourceViewSchema,
  sourceRemovalSchema,
  syncRunViewSchema,
  uploadQuerySchema,
  type UploadQuery,
} from './sources/billing-api.schemas';
export { BILLING_ENTITIES } from './sources/billing-source.entity';
export {
  BILLING_SOURCE_KINDS,
  createSourceSchema,
  sourceSettingsSchemas,
  syncRequestSchema,
  updateSourceSchema,
  type BillingSourceKind,
} from './sources/billing-source.settings';
export { BillingSourcesService, sourceView, type BillingSourceRemoval } from './sources/billing-sources.service';
export { billingSyncJobSchema } from './sources/billing-sync.job';
export { BillingSyncService } from './sources/billing-sync.service';
export { SELF_HOSTED_DEPLOYMENTS, type SelfHostedDeploymentSource } from './sources/self-hosted-deployments.port';
