export { healthController } from './health.controller';
export { applyServerLimits, closeServer, serverLimitsOf, serverUrl, type ServerLimits } from './http-server';
export { launch, runMain, type AppStarter, type RunningProcess } from './process.launcher';
