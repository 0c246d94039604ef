import { MigrationInterface, QueryRunner } from 'typeorm';

/** First config and workflow tables: providers and their deployments, prices, keys, tokens, billing sources, audit. */
export class InitialSchema1795306000000 implements MigrationInterface {
  name = 'InitialSchema1795306000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS tollgate`);
    await q.query(`
      CREATE TABLE tollgate.providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('openai','azure_openai','anthropic','gemini','vertex','bedrock','openai_compatible')),
        base_url text,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        credentials_ciphertext text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tollgate.model_deployments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id uuid NOT NULL REFERENCES tollgate.providers(id) ON DELETE RESTRICT,
        model text NOT NULL,
        upstream_model text NOT NULL,
        provider_account text NOT NULL DEFAULT '',
        region text NOT NULL DEFAULT '',
        gpu_pool text,
        gpu_hourly_cost numeric(38,12),
        opencost_selector jsonb,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider_id, model)
      )`);
    await q.query(`
      CREATE TABLE tollgate.price_overrides (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL,
        model text,
        provider_account text,
        kind text NOT NULL CHECK (kind IN ('custom_price','discount','tier','gpu_hour')),
        prices jsonb NOT NULL DEFAULT '{}'::jsonb,
        discount_percent numeric(9,6),
        tier text,
        currency char(3) NOT NULL DEFAULT 'USD',
        effective_from timestamptz NOT NULL,
        effective_to timestamptz,
        note text NOT NULL DEFAULT '',
        created_by text NOT NULL DEFAULT 'system',
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (effective_to IS NULL OR effective_to > effective_from)
      )`);
    await q.query(`CREATE INDEX price_overrides_lookup ON tollgate.price_overrides (provider, model, effective_from)`);
    await q.query(`
      CREATE TABLE tollgate.virtual_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        defaults jsonb NOT NULL DEFAULT '{}'::jsonb,
        allowed_models text[],
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE tollgate.api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        scope text NOT NULL CHECK (scope IN ('collector','admin','proxy')),
        token_hash text NOT NULL UNIQUE,
        token_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE tollgate.billing_sources (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        kind text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        credentials_ciphertext text,
        schedule text,
        enabled boolean NOT NULL DEFAULT true,
        sync_cursor jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tollgate.billing_sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        source_id uuid NOT NULL REFERENCES tollgate.billing_sources(id) ON DELETE CASCADE,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('running','succeeded','failed')),
        row_count bigint NOT NULL DEFAULT 0,
        totals jsonb NOT NULL DEFAULT '[]'::jsonb,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        duration_ms integer,
        error text
      )`);
    await q.query(`CREATE INDEX billing_sync_runs_source ON tollgate.billing_sync_runs (source_id, started_at DESC)`);
    await q.query(`
      CREATE TABLE tollgate.features (
        key text PRIMARY KEY,
        name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tollgate.customers (
        key text PRIMARY KEY,
        name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tollgate.audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        entity text NOT NULL,
        entity_id text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_entity ON tollgate.audit_log (entity, entity_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'customers', 'features', 'billing_sync_runs', 'billing_sources', 'api_tokens', 'virtual_keys', 'price_overrides', 'model_deployments', 'providers']) {
      await q.query(`DROP TABLE IF EXISTS tollgate.${table}`);
    }
  }
}
