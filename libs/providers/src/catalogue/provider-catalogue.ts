import { CredentialCipher, Logger, UnavailableError, hashSecret } from '@tollgate/core';
import { ProviderCredentials, ProviderKind, ProviderSettings, ProviderTarget } from '../provider.types';

/** A virtual key as the proxy needs it: looked up by the SHA-256 of the presented key. */
export interface VirtualKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  /** Attribution a header may replace. */
  defaults: { feature?: string; customer?: string; team?: string; env?: string };
  /** Attribution no header may change (absent from an older api's catalogue: nothing fixed). */
  fixed?: { feature?: string; customer?: string; team?: string; env?: string };
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
      // No ORDER BY: which deployment is tried first is routing's decision (@tollgate/routing), taken once per
      // snapshot. created_at leaves as text to the microsecond, as a Date would cut it to the millisecond.
      `SELECT d.id AS deployment_id, d.model, d.upstream_model, d.provider_account, d.region, d.gpu_pool,
              to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
              p.id AS provider_id, p.name, p.kind, p.base_url, p.settings, p.credentials_ciphertext
         FROM tollgate.model_deployments d JOIN tollgate.providers p ON p.id = d.provider_id
        WHERE d.enabled AND p.enabled`,
    );
    const keys = await this.db.query(
      `SELECT id, name, key_hash, defaults, fixed, allowed_models FROM tollgate.virtual_keys WHERE revoked_at IS NULL`,
    );
    const credentials = new Map<string, ProviderTarget['credentials']>();
    const targets = rows.map((r): ProviderTarget => {
      let creds = credentials.get(r.provider_id);
      if (!creds) {
        creds = r.credentials_ciphertext ? (this.cipher.decrypt(r.credentials_ciphertext, r.provider_id) as ProviderCredentials) : {};
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
        createdAt: r.created_at,
      };
    });
    return {
      targets,
      keys: keys.map((k) => ({ id: k.id, name: k.name, keyHash: k.key_hash, defaults: k.defaults ?? {}, fixed: k.fixed ?? {}, allowedModels: k.allowed_models ?? null })),
    };
  }
}

/** Thrown while no snapshot has loaded yet (a separate proxy started while the api is down): retryable. */
export class CatalogueNotLoadedError extends UnavailableError {
  constructor(
    reason: string,
    /** When the next load attempt is due (ms from now; 0 when one is under way). */
    readonly retryInMs: number,
  ) {
    super(`catalogue not loaded yet: ${reason}`);
  }
}

export interface CatalogueOptions {
  /** Period of the background refresh once a snapshot has loaded. */
  refreshMs?: number;
  /** At most one reload per this period when a request names an unknown model or key. */
  missReloadMs?: number;
  /** Until the first snapshot loads: first retry delay, doubled after each failure up to `retryMaxMs`. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/**
 * The proxy's in-memory view of routable deployments and virtual keys. Lookups are plain Map reads (hot path);
 * the snapshot is replaced wholesale on refresh (periodic, and at most once per `missReloadMs` when a request
 * names an unknown model or key, so a deployment or key just created through the api works at once). A failed
 * refresh keeps serving the last snapshot.
 *
 * Until the first snapshot loads there is nothing to serve: `assertLoaded()` throws a CatalogueNotLoadedError
 * naming the last failure (readiness, and the proxy's 503 to early requests), and `start({ retryUntilLoaded })`
 * retries the load with a short capped backoff rather than waiting a whole refresh period.
 */
export class ProviderCatalogue {
  private readonly logger = new Logger('provider-catalogue');
  private byModel = new Map<string, ProviderTarget[]>();
  private byKeyHash = new Map<string, VirtualKeyRecord>();
  private models: string[] = [];
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private nextRetryAt = 0;
  private started = false;
  private stopped = false;
  private loading?: Promise<void>;
  private lastMissReload = 0;
  private loadedAt = 0;
  private lastFailure = 'first load in progress';
  private readonly refreshMs: number;
  private readonly missReloadMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly source: CatalogueSource,
    options: CatalogueOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 5_000;
    this.missReloadMs = options.missReloadMs ?? 250;
    this.retryInitialMs = options.retryInitialMs ?? 500;
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? 5_000);
  }

  /**
   * Loads the first snapshot, then refreshes every `refreshMs`. By default a failed first load throws (the
   * all-in-one process reads its own PostgreSQL: a failure there is a real fault). With `retryUntilLoaded` (a
   * separate proxy, whose api may be down or not up yet) start returns at once and the load is retried with the
   * capped backoff until it succeeds; the periodic refresh takes over from there.
   */
  async start(options: { retryUntilLoaded?: boolean } = {}): Promise<void> {
    this.started = true;
    this.stopped = false;
    if (!options.retryUntilLoaded) {
      await this.refresh();
      this.schedulePeriodic();
      return;
    }
    if (this.loadedAt !== 0) this.schedulePeriodic();
    else this.attemptFirstLoad(this.retryInitialMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.timer = undefined;
    this.retryTimer = undefined;
  }

  /** Whether a snapshot has loaded (it then stays served, whatever later refreshes do). */
  get loaded(): boolean {
    return this.loadedAt !== 0;
  }

  /** Throws a CatalogueNotLoadedError naming the last failure until the first snapshot has loaded. */
  assertLoaded(): void {
    if (this.loadedAt !== 0) return;
    const retryInMs = this.loading ? 0 : Math.max(0, this.nextRetryAt - Date.now());
    throw new CatalogueNotLoadedError(this.lastFailure, retryInMs);
  }

  refresh(): Promise<void> {
    this.loading ??= this.source
      .load()
      .then((snapshot) => {
        const first = this.loadedAt === 0;
        this.apply(snapshot);
        this.loadedAt = Date.now();
        if (first) this.onFirstLoad();
      })
      .catch((error: unknown) => {
        if (this.loadedAt === 0) this.lastFailure = error instanceof Error ? error.message : String(error);
        else this.logger.error('catalogue refresh failed; serving the last snapshot', { error });
        throw error;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private attemptFirstLoad(delayMs: number): void {
    if (this.stopped || this.loadedAt !== 0) return;
    this.refresh().catch((error: unknown) => {
      if (this.stopped || this.loadedAt !== 0) return;
      const next = Math.min(delayMs * 2, this.retryMaxMs);
      this.logger.error('catalogue not loaded; nothing to route with until it is', { error, retryInMs: delayMs });
      this.nextRetryAt = Date.now() + delayMs;
      this.retryTimer = setTimeout(() => this.attemptFirstLoad(next), delayMs);
      this.retryTimer.unref();
    });
  }

  private onFirstLoad(): void {
    this.logger.info('catalogue loaded', { models: this.models.length, keys: this.byKeyHash.size });
    if (this.started) this.schedulePeriodic();
  }

  /** From the first snapshot on (whichever call loaded it): no more backoff, the periodic refresh. */
  private schedulePeriodic(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  /** Deployments serving `model`, in the source's order: routing decides which one is tried first. */
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

  /**
   * Calls `listener` with each snapshot as it is applied, and at once with the current one if loaded: a view derived
   * from the catalogue (routing's table) is rebuilt once per snapshot instead of once per request.
   */
  onSnapshot(listener: (snapshot: CatalogueSnapshot) => void): void {
    this.snapshotListeners.push(listener);
    if (this.snapshot) listener(this.snapshot);
  }

  private snapshot?: CatalogueSnapshot;
  private readonly snapshotListeners: ((snapshot: CatalogueSnapshot) => void)[] = [];

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
    // Nothing loaded yet: the backoff paces the attempts, not the traffic.
    if (this.loadedAt === 0) return;
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
    this.snapshot = snapshot;
    for (const listener of this.snapshotListeners) listener(snapshot);
  }
}
