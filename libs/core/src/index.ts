export { loadConfig, storeModes } from './config/config.loader';
export { configSchema, type AppConfig } from './config/config.schema';
export { APP_CONFIG } from './config/config.tokens';
export { loadSecretKey, loadSecretKeys, type SecretKeys } from './config/secret-key';
export { csvText, encodeCsv, type CsvCell } from './csv/csv.encoder';
export { CredentialCipher } from './crypto/credential.cipher';
export { purposeKey } from './crypto/purpose-key';
export { hashSecret } from './crypto/secret-hash';
export {
  ConfigError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  type FieldProblem,
} from './errors/domain.errors';
export { parseOrThrow, zodProblems } from './errors/zod-problems';
export { ShutdownCoordinator } from './lifecycle/shutdown.coordinator';
export { Logger, NestLoggerAdapter, setLogLevel } from './logging/logger';
export { Dec, MONEY_SCALE, isCurrencyCode, parseDecimal, toMoneyString } from './money/money';
