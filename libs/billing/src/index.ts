export * from './files/billing-file.formats';
export * from './files/billing-file.ingester';
export * from './files/csv-problem.locator';
export * from './labels/ai-labels.sql';
export * from './ledger/billing-ledger.repository';
export * from './ledger/billing-ledger.sync';
