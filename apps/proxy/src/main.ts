import { launch, runMain } from '@tollgate/runtime';
import { proxyStarter } from './proxy.starter';

runMain(async () => {
  await launch(process.env, [proxyStarter], { requireServers: true, handleSignals: true });
});
