import { createHash } from 'node:crypto';
import { Logger } from '@tollgate/core';
import { ProviderKind, ProviderSettings, ProviderTarget } from '../provider.types';
import { CredentialCipher } from '../credentials/credential.cipher';

/** A virtual key as the proxy needs it: looked up by the SHA-256 of the presented key. */
export interface VirtualKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  defaults: { feature?: string; customer?: string; team?: string; env?: string };
  allowedModels: string[] | null;
}

/** Everything the proxy routes with, loaded as one immutable snapshot. */
export interface CatalogueSnapshot {
  targets: ProviderTarget[];
  keys: VirtualKeyRecord[];
}

/** Where the snapshot comes from: PostgreSQL in the all-in-one process, the api over HTTP for a separate proxy. */
export interface CatalogueSource {
  load(): Promise<CatalogueSnapshot>;
}

/** SHA-256 hex of a virtual key or API token: what is stored and looked up, never the key itself. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

/** Reads providers, deployments and keys straight from PostgreSQL and decrypts the credentials in memory. */
export class PostgresCatalogueSource implements CatalogueSource {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: CredentialCipher,
  ) {}

  async load(): Promise<CatalogueSnapshot> {
    const rows = await this.db.query(
      `SELECT d.id AS deployment_id, d.model, d.upstream_model, d.provider_account, d.region, d.gpu_pool,
              p.id AS provider_id, p.name, p.kind, p.base_url, p.settings, p.credentials_ciphertext
         FROM tollgate.model_deployments d JOIN tollgate.providers p ON p.id = d.provider_id
        WHERE d.enabled AND p.enabled
        ORDER BY d.model, d.created_at, d.id`,
    );
    const keys = await this.db.query(
      `SELECT id, name, key_hash, defaults, allowed_models FROM tollgate.virtual_keys WHERE revoked_at IS NULL`,
    );
    const credentials = new Map<string, ProviderTarget['credentials']>();
    const targets = rows.map((r): ProviderTarget => {
      let creds = credentials.get(r.provider_id);
      if (!creds) {
        creds = r.credentials_ciphertext ? this.cipher.decrypt(r.credentials_ciphertext, r.provider_id) : {};
        credentials.set(r.provider_id, creds);
      }
      return {
        deploymentId: r.deployment_id,
        providerId: r.provider_id,
        providerName: r.name,
        kind: r.kind as ProviderKind,
        baseUrl: r.base_url ?? '',
        settings: (r.settings ?? {}) as ProviderSettings,
        credentials: creds,
        model: r.model,
        upstreamModel: r.upstream_model,
        providerAccount: r.provider_account ?? '',
        region: r.region ?? '',
        gpuPool: r.gpu_pool ?? null,
      };
    });
    return {
      targets,
      keys: keys.map((k) => ({ id: k.id, name: k.name, keyHash: k.key_hash, defaults: k.defaults ?? {}, allowedModels: k.allowed_models ?? null })),
    };
  }
}

/**
 * The proxy's in-memory view of routable deployments and virtual keys. Lookups are plain Map reads (hot path);
 * the snapshot is replaced wholesale on refresh (periodic, and at most once per `missReloadMs` when a request
 * names an unknown model or key, so a deployment or key just created through the api works at once). A failed
 * refresh keeps serving the last snapshot.
 */
export class ProviderCatalogue {
  private readonly logger = new Logger('provider-catalogue');
  private byModel = new Map<string, ProviderTarget[]>();
  private byKeyHash = new Map<string, VirtualKeyRecord>();
  private models: string[] = [];
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;
  private lastMissReload = 0;

  constructor(
    private readonly source: CatalogueSource,
    private readonly refreshMs = 5_000,
    private readonly missReloadMs = 250,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  refresh(): Promise<void> {
    this.loading ??= this.source
      .load()
      .then((snapshot) => this.apply(snapshot))
      .catch((error: unknown) => {
        this.logger.error('catalogue refresh failed; serving the last snapshot', { error });
        throw error;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Deployments serving `model`, in routing order. */
  targets(model: string): ProviderTarget[] | undefined {
    return this.byModel.get(model);
  }

  key(hash: string): VirtualKeyRecord | undefined {
    return this.byKeyHash.get(hash);
  }

  /**
   * Looks a presented key up, remembering the hash of keys seen (bounded) so the hot path does not hash on every
   * request. The memo is dropped with each snapshot, so a revoked key stops working at the next refresh.
   */
  keyFor(presented: string): VirtualKeyRecord | undefined {
    const seen = this.byPresented.get(presented);
    if (seen) return seen;
    const record = this.byKeyHash.get(hashSecret(presented));
    if (record) {
      if (this.byPresented.size >= 10_000) this.byPresented.clear();
      this.byPresented.set(presented, record);
    }
    return record;
  }

  private byPresented = new Map<string, VirtualKeyRecord>();

  listModels(): string[] {
    return this.models;
  }

  /** On a miss: reload (rate-limited), then look again. */
  async targetsAfterReload(model: string): Promise<ProviderTarget[] | undefined> {
    await this.reloadOnMiss();
    return this.byModel.get(model);
  }

  async keyAfterReload(hash: string): Promise<VirtualKeyRecord | undefined> {
    await this.reloadOnMiss();
    return this.byKeyHash.get(hash);
  }

  private async reloadOnMiss(): Promise<void> {
    const now = Date.now();
    if (this.loading) return this.loading.catch(() => undefined);
    if (now - this.lastMissReload < this.missReloadMs) return;
    this.lastMissReload = now;
    await this.refresh().catch(() => undefined);
  }

  private apply(snapshot: CatalogueSnapshot): void {
    const byModel = new Map<string, ProviderTarget[]>();
    for (const target of snapshot.targets) {
      const list = byModel.get(target.model) ?? [];
      list.push(target);
      byModel.set(target.model, list);
    }
    this.byModel = byModel;
    this.byKeyHash = new Map(snapshot.keys.map((k) => [k.keyHash, k]));
    this.byPresented = new Map();
    this.models = [...byModel.keys()].sort();
  }
}
