export { healthController } from './health.controller';
export { closeServer, serverUrl } from './http-server';
export { launch, runMain, type AppStarter, type RunningProcess } from './process.launcher';
