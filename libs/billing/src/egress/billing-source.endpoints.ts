import type { BillingSourceKind } from '../sources/billing-source.settings';

/** One host a source sends requests to, and the setting (or credential) that decides it. */
export interface SourceEndpoint {
  url: string;
  setting: string;
}

/**
 * Settings that decide where a source's requests (and its credentials) go. Changing one requires re-entering the
 * credentials in the same request, so stored credentials can never be redirected to a host of the caller's choosing.
 * (An azure-blob-files source's host is inside its connection string, a credential already.)
 */
export const HOST_SETTINGS: Partial<Record<BillingSourceKind, readonly string[]>> = {
  's3-files': ['endpoint', 'region'],
  'aws-cost-explorer': ['endpoint', 'region'],
  'azure-cost-query': ['endpoint', 'authorityHost'],
  'gcp-bigquery': ['apiEndpoint'],
};

/** The hosts a source of `kind` will call with these (parsed) settings and credentials. */
export function sourceEndpoints(kind: BillingSourceKind, settings: Record<string, unknown>, credentials: Record<string, unknown> | undefined): SourceEndpoint[] {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  switch (kind) {
    case 's3-files':
      return [{ url: str(settings.endpoint) ?? `https://s3.${str(settings.region) ?? 'us-east-1'}.amazonaws.com`, setting: settings.endpoint ? 'settings.endpoint' : 'settings.region' }];
    case 'aws-cost-explorer':
      return [{ url: str(settings.endpoint) ?? `https://ce.${str(settings.region) ?? 'us-east-1'}.amazonaws.com`, setting: settings.endpoint ? 'settings.endpoint' : 'settings.region' }];
    case 'azure-cost-query':
      return [
        { url: str(settings.endpoint) ?? 'https://management.azure.com', setting: 'settings.endpoint' },
        { url: str(settings.authorityHost) ?? 'https://login.microsoftonline.com', setting: 'settings.authorityHost' },
      ];
    case 'gcp-bigquery': {
      const endpoints = [{ url: str(settings.apiEndpoint) ?? 'https://bigquery.googleapis.com', setting: 'settings.apiEndpoint' }];
      const account = credentials?.serviceAccount as Record<string, unknown> | undefined;
      if (account) endpoints.push({ url: str(account.token_uri) ?? 'https://oauth2.googleapis.com/token', setting: 'credentials.serviceAccount.token_uri' });
      return endpoints;
    }
    case 'azure-blob-files': {
      const connectionString = str(credentials?.connectionString);
      return connectionString ? [{ url: blobEndpoint(connectionString), setting: 'credentials.connectionString' }] : [];
    }
    case 'opencost':
      return [{ url: String(settings.endpoint), setting: 'settings.endpoint' }];
    default:
      return [];
  }
}

/** The Blob service URL a storage connection string points at (its BlobEndpoint, or the account's public one). */
export function blobEndpoint(connectionString: string): string {
  const parts = new Map(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
      }),
  );
  if (parts.get('usedevelopmentstorage') === 'true') return 'http://127.0.0.1:10000/devstoreaccount1';
  const explicit = parts.get('blobendpoint');
  if (explicit) return explicit;
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  return `${protocol}://${parts.get('accountname') ?? ''}.blob.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
}
