export { apiStarter, createApiApp, createApiStarter, type ApiBootstrapNotice } from './api.starter';
export { DOCS_PATH, OPENAPI_JSON_PATH, openApiPath } from './openapi/openapi.document';
