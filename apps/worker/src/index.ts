export { workerStarter } from './worker.starter';
