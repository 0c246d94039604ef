export { BILLING_FILE_FORMATS, type BillingFileFormat } from './files/billing-file.formats';
export { checkUploadContentType, receiveUpload, uploadKind } from './files/billing-upload.receiver';
export { ClickHouseFileAccess } from './files/clickhouse-file-access';
export { FileNameGlob, GLOB_SYNTAX } from './files/file-name.glob';
export { BillingEgressPolicy, DEFAULT_EGRESS_HOSTS } from './egress/billing-egress.policy';
export { BillingInputError } from './ledger/billing-ledger.repository';
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
export { createSourceSchema, syncRequestSchema, updateSourceSchema } from './sources/billing-source.settings';
export { BillingSourcesService, sourceView, type BillingSourceRemoval } from './sources/billing-sources.service';
export { billingSyncJobSchema } from './sources/billing-sync.job';
export { BillingSyncService } from './sources/billing-sync.service';
export { SELF_HOSTED_DEPLOYMENTS, type SelfHostedDeploymentSource } from './sources/self-hosted-deployments.port';
