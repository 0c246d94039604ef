import { apiStarter } from '../../api/src';
import { proxyStarter } from '../../proxy/src';
import { workerStarter } from '../../worker/src';
import { launch, runMain } from '@tollgate/runtime';

/**
 * `npm start`: api, proxy and worker in one process. With no store URLs set this runs on the embedded stores
 * (chDB allows one process per data directory, which is why the all-in-one is a single process).
 */
runMain(async () => {
  const running = await launch(process.env, [apiStarter, proxyStarter, workerStarter], { handleSignals: true });
  const lines = Object.entries(running.urls).map(([name, url]) => `  ${name.padEnd(7)} ${url}   (${url}/readyz)`);
  process.stdout.write(`\nTollgate is running (stores: ${JSON.stringify(running.stores.modes)})\n${lines.join('\n')}\n\n`);
});
