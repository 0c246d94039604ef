import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { AppConfig } from '@tollgate/core';

/** Base URL of a listening server (resolves port 0 to the port chosen). */
export function serverUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Stops accepting connections and resolves once in-flight requests have finished; idle keep-alive sockets are
 * closed at once so they don't hold the drain open.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

/** How much of a server one client may hold: time to send headers and a whole request, and open connections. */
export interface ServerLimits {
  /** Time a client has to send a request's headers (slowloris). */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included (a large billing upload needs minutes). */
  requestTimeoutMs: number;
  /** Open connections at most; further ones are dropped at accept. */
  maxConnections: number;
}

/** Bounds a server's header and request timeouts and its connection count (Node's defaults bound neither count). */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
}

/** The limits the configuration sets (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_MAX_CONNECTIONS). */
export function serverLimitsOf(config: AppConfig): ServerLimits {
  return { headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS, maxConnections: config.HTTP_MAX_CONNECTIONS };
}
