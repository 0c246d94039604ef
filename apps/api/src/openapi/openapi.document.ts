import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PUBLIC_ROUTE, REQUIRED_SCOPE } from '@tollgate/auth';
import { documentHealthRoutes } from './health.openapi';

/** Where the api serves its OpenAPI document and the Swagger UI page (both public, both served offline). */
export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const DESCRIPTION = [
  "Tollgate's REST API: providers, deployments and virtual keys for the proxy; usage and cost queries; price overrides;",
  'billing sources and uploads; the telemetry collector. Errors are always `{"error": {"type", "message", "problems?"}}`.',
  '',
  'Authenticate with `Authorization: Bearer <API token>`; each operation names the scope it requires',
  '(`x-tollgate-scope`). Health endpoints and these documents are public.',
].join('\n');

interface RouteAccess {
  scope?: string;
  isPublic: boolean;
}

/**
 * Builds the api's OpenAPI 3.1 document from the Nest controllers and their @nestjs/swagger decorators, then adds
 * each operation's access (bearer auth, the scope from @RequireScope, none for @PublicRoute).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Tollgate API')
    .setDescription(DESCRIPTION)
    .setVersion('v1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (or TOLLGATE_ADMIN_TOKEN)' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  documentHealthRoutes(document);
  const access = routeAccess(app);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, { security?: unknown; description?: string } & Record<string, unknown>][]) {
      const route = access.get(`${method.toUpperCase()} ${path}`);
      const isPublic = route?.isPublic || path === '/healthz' || path === '/readyz';
      operation.security = isPublic ? [] : [{ bearer: [] }];
      if (route?.scope) operation['x-tollgate-scope'] = route.scope;
    }
  }
  return document;
}

/** Serves the document at /openapi.json and Swagger UI (bundled swagger-ui-dist, no CDN) at /docs. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  // These routes are registered on the HTTP adapter, not as Nest controllers: Nest guards never run on them, so
  // they are public without @PublicRoute.
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1),
    raw: ['json'],
    customSiteTitle: 'Tollgate API',
    swaggerOptions: { persistAuthorization: true },
  });
  return document;
}

/** Each controller route's access metadata, keyed `METHOD /openapi/{path}`. */
function routeAccess(app: INestApplication): Map<string, RouteAccess> {
  const routes = new Map<string, RouteAccess>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as number | undefined;
        if (path === undefined || method === undefined) continue;
        const scope = (Reflect.getMetadata(REQUIRED_SCOPE, handler) ?? Reflect.getMetadata(REQUIRED_SCOPE, controller)) as string | undefined;
        const isPublic = Boolean(Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller));
        routes.set(`${RequestMethod[method]} ${openApiPath(first(base), first(path))}`, { scope, isPublic });
      }
    }
  }
  return routes;
}

const first = (path: string | string[] | undefined) => (Array.isArray(path) ? path[0] : path) ?? '';

/** `v1/providers` + `:id/credentials` → `/v1/providers/{id}/credentials`, as the document writes paths. */
export function openApiPath(...parts: string[]): string {
  const joined = `/${parts.filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
