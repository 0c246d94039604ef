import { isIP } from 'node:net';
import { ValidationError } from '@tollgate/core';

/** The clouds' public endpoints: what `default` in BILLING_EGRESS_ALLOWED_HOSTS stands for. */
export const DEFAULT_EGRESS_HOSTS: readonly string[] = [
  '*.amazonaws.com',
  '*.amazonaws.com.cn',
  '*.blob.core.windows.net',
  'management.azure.com',
  'login.microsoftonline.com',
  'bigquery.googleapis.com',
  'oauth2.googleapis.com',
  'www.googleapis.com',
];

/**
 * Where billing connectors may send requests (and with them, stored credentials). Checked before every outbound
 * call, and when a source is created or changed, so a 400 names the setting that points elsewhere. A name is
 * compared as written: loopback and private addresses are reachable only when listed explicitly.
 */
export class BillingEgressPolicy {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(hosts: readonly string[]) {
    for (const host of hosts.flatMap((h) => (h === 'default' ? DEFAULT_EGRESS_HOSTS : [h]))) {
      const h = host.toLowerCase().replace(/^\[|\]$/g, '');
      if (h.startsWith('*.')) this.suffixes.push(h.slice(1));
      else this.exact.add(h);
    }
  }

  allows(host: string): boolean {
    const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (this.exact.has(h)) return true;
    // A wildcard covers names only: `*.example.com` must not admit an IP literal that merely ends the same way.
    return isIP(h) === 0 && this.suffixes.some((s) => h.endsWith(s) && h.length > s.length);
  }

  /** Throws a ValidationError naming `setting` when `url` is not an http(s) URL to an allowed host. */
  check(url: string, setting: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw ValidationError.field(setting, 'not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw ValidationError.field(setting, `${parsed.protocol} URLs are not allowed`);
    if (parsed.username || parsed.password) throw ValidationError.field(setting, 'a URL with credentials in it is not allowed');
    if (!this.allows(parsed.hostname)) {
      throw ValidationError.field(setting, `host '${parsed.hostname}' is not in BILLING_EGRESS_ALLOWED_HOSTS (allowed: the clouds' public endpoints and the hosts the operator lists)`);
    }
  }
}

/** An error for a remote answer that names only its status: a remote body is never echoed (it may be an internal service's). */
export function remoteStatus(service: string, status: number): string {
  return `${service} answered HTTP ${status}`;
}
