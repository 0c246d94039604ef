import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccessScope, AccessService, CSRF_HEADER, PUBLIC_ROUTE, Principal, REQUIRED_SCOPE, SESSION_COOKIE } from '@tollgate/auth';
import { readCookies } from './session.cookies';

/**
 * The api's one guard (APP_GUARD): every route is public (`@PublicRoute`: health, login) or requires a scope
 * (`@RequireScope`); anything else is refused, whoever calls (fail closed). Authenticates the bearer token or the
 * session cookie, rate-limits per principal, checks CSRF on cookie writes and the scope, then sets
 * `request.principal` for `@CurrentPrincipal()`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const scope = this.reflector.getAllAndOverride<AccessScope | undefined>(REQUIRED_SCOPE, targets);
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const csrf = req.headers[CSRF_HEADER];
    const request = {
      method: req.method,
      authorization: req.headers.authorization,
      sessionId: readCookies(req)[SESSION_COOKIE],
      csrfToken: Array.isArray(csrf) ? csrf[0] : csrf,
    };
    if (!scope) {
      // Anonymous callers learn only that they must authenticate; authenticated ones that the route is closed.
      await this.access.authenticate(request, 'admin');
      throw AccessService.undeclared(`${req.method} ${req.route?.path ?? req.path}`);
    }
    req.principal = await this.access.authorize(request, scope);
    return true;
  }
}
