import { ConfigError } from '../errors/domain.errors';
import { AppConfig, OIDC_VARIABLES, configSchema } from './config.schema';

/** Parses and validates the environment once; throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    // An empty variable is treated as unset, as shells and compose files commonly produce them.
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration — ${problems.join('; ')}`, problems);
  }
  const oidcSet = OIDC_VARIABLES.filter((name) => parsed.data[name] !== undefined);
  if (oidcSet.length > 0 && oidcSet.length < OIDC_VARIABLES.length) {
    const missing = OIDC_VARIABLES.filter((name) => parsed.data[name] === undefined);
    const problems = missing.map((name) => `${name}: required when ${oidcSet.join(', ')} ${oidcSet.length === 1 ? 'is' : 'are'} set (OIDC login needs all four)`);
    throw new ConfigError(`Invalid configuration — ${problems.join('; ')}`, problems);
  }
  return Object.freeze(parsed.data);
}

/** Which store runs where; the only place that decides embedded vs. server mode. */
export function storeModes(config: AppConfig) {
  return {
    postgres: config.DATABASE_URL ? 'server' : 'embedded',
    clickhouse: config.CLICKHOUSE_URL ? 'server' : 'embedded',
    queue: config.REDIS_URL ? 'redis' : 'postgres',
  } as const;
}
