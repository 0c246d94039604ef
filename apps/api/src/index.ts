export { apiStarter } from './api.starter';
