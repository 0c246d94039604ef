import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CSRF_HEADER } from '@tollgate/auth';
import { AppConfig } from '@tollgate/core';

/**
 * Browser defences of the api, before any route: security headers (helmet), `trust proxy` (so `req.secure` and the
 * client address honour X-Forwarded-* only from configured proxies), and a strict cross-origin policy: a request
 * whose Origin is neither the api's own nor in TOLLGATE_CORS_ORIGINS is refused with 403 (preflights included), and
 * only allowlisted origins get CORS headers. Clients that send no Origin (curl, SDKs, servers) are unaffected.
 */
export function applyHttpSecurity(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.TOLLGATE_TRUST_PROXY);
  app.disable('x-powered-by');
  app.use(helmet());
  const allowed = new Set(config.TOLLGATE_CORS_ORIGINS);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin) || origin === `${req.protocol}://${req.headers.host}`) return next();
    res.status(403).json({ error: { type: 'forbidden', message: `origin ${origin} is not allowed (TOLLGATE_CORS_ORIGINS)` } });
  });
  app.enableCors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'content-encoding', CSRF_HEADER],
    maxAge: 600,
  });
}
