import { launch, runMain } from '@tollgate/runtime';
import { apiStarter } from './api.starter';

runMain(async () => {
  await launch(process.env, [apiStarter], { requireServers: true, handleSignals: true });
});
