import { launch, runMain } from '@tollgate/runtime';
import { createProxyStarter } from './proxy.starter';
import { loadProxyOptions } from './proxy.options';

// A separate proxy process: catalogue from the api's authenticated endpoint, telemetry to the collector.
runMain(async () => {
  const options = loadProxyOptions(process.env);
  await launch(process.env, [createProxyStarter(options)], { requireServers: true, handleSignals: true });
});
