export { proxyStarter } from './proxy.starter';
