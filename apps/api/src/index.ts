export { apiStarter, createApiStarter, type ApiBootstrapNotice } from './api.starter';
