import { request } from 'undici';
import { UnavailableError } from '@tollgate/core';
import { CatalogueSnapshot, CatalogueSource } from '@tollgate/providers';

/**
 * A separate proxy's catalogue: polled from the api (`GET /v1/internal/proxy-catalogue`, bearer token of scope
 * `proxy`). Credentials travel decrypted over this authenticated channel only (use TLS between hosts) and are kept
 * in memory, never written or logged.
 */
export class HttpCatalogueSource implements CatalogueSource {
  private readonly url: string;
  constructor(
    apiUrl: string,
    private readonly token: string,
  ) {
    this.url = `${apiUrl.replace(/\/+$/, '')}/v1/internal/proxy-catalogue`;
  }

  async load(): Promise<CatalogueSnapshot> {
    const response = await request(this.url, { headers: { authorization: `Bearer ${this.token}` }, headersTimeout: 10_000, bodyTimeout: 10_000 }).catch((error: Error) => {
      throw new UnavailableError(`api unreachable for the catalogue: ${error.message}`, error);
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new UnavailableError(`catalogue endpoint answered ${response.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as CatalogueSnapshot;
  }
}
