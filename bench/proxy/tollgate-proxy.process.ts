// The separate proxy process of the benchmark, as docker-compose runs it: providers, deployments, keys and prices come over
// the api's authenticated catalogue channel, telemetry is spooled to disk and POSTed to the api's collector (which
// writes ClickHouse). Started by tollgate.process.ts with the api's URL and channel token.
import { ProxyHandle, createProxyStarter } from '../../apps/proxy/src';
import { launch } from '@tollgate/runtime';
import { answeredRequests, spoolOptionsFromEnv, watchProcess } from './process-stats';

async function main() {
  const [apiUrl, apiToken] = process.argv.slice(2);
  const stats = watchProcess();
  let proxy!: ProxyHandle;
  const options = { apiUrl, apiToken, ...spoolOptionsFromEnv() };
  const running = await launch(process.env, [createProxyStarter(options, (h) => (proxy = h))]);
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'count') {
      // Every event recorded so far is on disk and accepted by the collector (which answers once it is stored).
      await proxy.context.spool.flush();
      process.send?.({ type: 'count', recorded: proxy.context.spool.stats().recorded, answered: await answeredRequests(proxy.context.metrics), ...stats() });
    } else if (message.type === 'flush') {
      await proxy.context.spool.flush();
      process.send?.({ type: 'flushed' });
    } else if (message.type === 'stop') {
      await running.stop();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', url: proxy.url });
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
