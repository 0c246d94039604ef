export { proxyStarter, createProxyStarter, startProxy } from './proxy.starter';
export type { ProxyOptions, ProxyHandle } from './proxy.starter';
export { loadProxyOptions, proxyEnvSchema } from './proxy.options';
