import { launch, runMain } from '@tollgate/runtime';
import { workerStarter } from './worker.starter';

runMain(async () => {
  await launch(process.env, [workerStarter], { requireServers: true, handleSignals: true });
});
