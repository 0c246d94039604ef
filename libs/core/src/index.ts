export * from './config/config.schema';
export * from './config/config.loader';
export * from './config/config.tokens';
export * from './errors/domain.errors';
export * from './money/money';
export * from './logging/logger';
export * from './lifecycle/shutdown.coordinator';
export * from './config/secret-key';
