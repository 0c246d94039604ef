import type { Request, Response } from 'express';
import { CSRF_COOKIE, SESSION_COOKIE, StartedSession } from '@tollgate/auth';
import { AppConfig } from '@tollgate/core';

/** The request's cookies by name (the api reads only its own two, so a small parser is enough). */
export function readCookies(req: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (name !== SESSION_COOKIE && name !== CSRF_COOKIE) continue;
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A malformed value is no credential.
    }
  }
  return cookies;
}

/** Secure when configured so, or (`auto`) when the request came over TLS — X-Forwarded-Proto counts only with trust proxy. */
function secure(req: Request, config: AppConfig): boolean {
  return config.TOLLGATE_COOKIE_SECURE === 'true' || (config.TOLLGATE_COOKIE_SECURE === 'auto' && req.secure);
}

/**
 * The session id in an HttpOnly, SameSite=Lax cookie (Lax so the one-time login link, a top-level navigation, logs
 * in); the CSRF token in a readable SameSite=Strict cookie the console copies into `x-csrf-token` on writes.
 */
export function setSessionCookies(req: Request, res: Response, session: StartedSession, config: AppConfig): void {
  const common = { path: '/', secure: secure(req, config), expires: session.expiresAt };
  res.cookie(SESSION_COOKIE, session.sessionId, { ...common, httpOnly: true, sameSite: 'lax' });
  res.cookie(CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false, sameSite: 'strict' });
}

export function clearSessionCookies(req: Request, res: Response, config: AppConfig): void {
  const common = { path: '/', secure: secure(req, config) };
  res.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true, sameSite: 'lax' });
  res.clearCookie(CSRF_COOKIE, { ...common, sameSite: 'strict' });
}
