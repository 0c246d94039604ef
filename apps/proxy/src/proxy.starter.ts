import { ShutdownCoordinator } from '@tollgate/core';
import { AppStarter, closeServer, serverUrl } from '@tollgate/runtime';
import { Stores } from '@tollgate/storage';
import { createProxyServer } from './proxy.server';

/** Starts the routing proxy on PROXY_PORT. */
export const proxyStarter: AppStarter = {
  name: 'proxy',
  entities: [],
  async start(stores: Stores, shutdown: ShutdownCoordinator) {
    const server = createProxyServer(stores);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(stores.config.PROXY_PORT, stores.config.HOST, () => resolve());
    });
    shutdown.register('accept', 'proxy', () => closeServer(server));
    return { url: serverUrl(server) };
  },
};
