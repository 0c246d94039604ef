import { Server } from 'node:http';
import { AddressInfo } from 'node:net';

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
