import { request } from 'undici';
import { UnavailableError } from '@tollgate/core';
import { PriceOverride, overridesFromJson } from '@tollgate/pricing';
import { CatalogueSnapshot, CatalogueSource } from '@tollgate/providers';

/**
 * A separate proxy's catalogue: polled from the api (`GET /v1/internal/proxy-catalogue`, bearer token of scope
 * `proxy`). Credentials travel decrypted over this authenticated channel only (use TLS between hosts) and are kept
 * in memory, never written or logged. The price overrides come in the same answer and are handed to
 * `receivePriceOverrides` before the snapshot is returned, so routes and prices switch together and the proxy needs
 * no PostgreSQL of its own.
 */
export class HttpCatalogueSource implements CatalogueSource {
  private readonly url: string;
  constructor(
    apiUrl: string,
    private readonly token: string,
    private readonly receivePriceOverrides: (overrides: PriceOverride[]) => Promise<void>,
  ) {
    this.url = `${apiUrl.replace(/\/+$/, '')}/v1/internal/proxy-catalogue`;
  }

  async load(): Promise<CatalogueSnapshot> {
    const response = await request(this.url, { headers: { authorization: `Bearer ${this.token}` }, headersTimeout: 10_000, bodyTimeout: 10_000 }).catch((error: Error) => {
      throw new UnavailableError(`api unreachable for the catalogue: ${error.message}`, error);
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new UnavailableError(`catalogue endpoint answered ${response.statusCode}: ${text.slice(0, 200)}`);
    let body: Partial<CatalogueSnapshot> & { price_overrides?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new UnavailableError(`catalogue endpoint answered malformed JSON: ${text.slice(0, 200)}`);
    }
    if (!Array.isArray(body.targets) || !Array.isArray(body.keys)) throw new UnavailableError('catalogue endpoint answered without targets and keys');
    // An api that sends no overrides would have this proxy price at list prices: refused, the last snapshot stays.
    if (!Array.isArray(body.price_overrides)) throw new UnavailableError('catalogue endpoint answered without price_overrides (an api older than this proxy?)');
    await this.receivePriceOverrides(overridesFromJson(body.price_overrides));
    return { targets: body.targets, keys: body.keys };
  }
}
