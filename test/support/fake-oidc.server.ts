import { createHash, createSign, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** The person the next authorization logs in as: the claims their ID token carries. */
export interface FakeOidcUser {
  sub: string;
  email: string;
  [claim: string]: unknown;
}

interface IssuedCode {
  user: FakeOidcUser;
  clientId: string;
  redirectUri: string;
  nonce: string;
  codeChallenge: string;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * A local OpenID Provider speaking the documented wire format: discovery (`/.well-known/openid-configuration`),
 * an authorization endpoint that logs in `nextUser` at once and redirects back with a code, a token endpoint
 * (client_secret_basic or _post, PKCE S256 checked) answering an RS256 ID token, and the JWKS to verify it.
 */
export class FakeOidcServer {
  nextUser: FakeOidcUser = { sub: 'u-1', email: 'oidc-user@example.com' };
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, IssuedCode>();
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject };
  private readonly kid = randomBytes(8).toString('hex');
  private server?: Server;
  url = '';

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {
    this.key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req)
        .then(({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
          res.end(body === undefined ? undefined : JSON.stringify(body));
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'server_error', error_description: error.message }));
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return {
        status: 200,
        body: {
          issuer: this.url,
          authorization_endpoint: `${this.url}/authorize`,
          token_endpoint: `${this.url}/token`,
          jwks_uri: `${this.url}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          code_challenge_methods_supported: ['S256'],
          scopes_supported: ['openid', 'email', 'profile'],
        },
      };
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      return { status: 200, body: { keys: [{ ...this.key.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' }] } };
    }
    if (req.method === 'GET' && url.pathname === '/authorize') return this.authorize(url.searchParams);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req);
    return { status: 404, body: { error: 'not_found' } };
  }

  private authorize(params: URLSearchParams) {
    const redirectUri = params.get('redirect_uri') ?? '';
    if (params.get('client_id') !== this.clientId || params.get('response_type') !== 'code' || !params.get('scope')?.split(' ').includes('openid')) {
      return { status: 400, body: { error: 'invalid_request' } };
    }
    if (params.get('code_challenge_method') !== 'S256' || !params.get('code_challenge')) return { status: 400, body: { error: 'invalid_request', error_description: 'PKCE required' } };
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { user: this.nextUser, clientId: this.clientId, redirectUri, nonce: params.get('nonce') ?? '', codeChallenge: params.get('code_challenge')! });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', params.get('state') ?? '');
    back.searchParams.set('iss', this.url);
    return { status: 302, headers: { location: back.href } };
  }

  private async token(req: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    this.tokenRequests.push(form);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [id, secret] = basic
      ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')];
    if (id !== this.clientId || secret !== this.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
    const issued = this.codes.get(form.get('code') ?? '');
    this.codes.delete(form.get('code') ?? '');
    if (form.get('grant_type') !== 'authorization_code' || !issued || issued.redirectUri !== form.get('redirect_uri')) return { status: 400, body: { error: 'invalid_grant' } };
    const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
    if (challenge !== issued.codeChallenge) return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE verification failed' } };
    const now = Math.floor(Date.now() / 1000);
    const idToken = this.sign({ iss: this.url, aud: this.clientId, iat: now, exp: now + 300, nonce: issued.nonce, ...issued.user });
    return { status: 200, body: { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken } };
  }

  private sign(claims: Record<string, unknown>): string {
    const input = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.kid }))}.${base64url(JSON.stringify(claims))}`;
    return `${input}.${base64url(createSign('RSA-SHA256').update(input).sign(this.key.privateKey))}`;
  }
}
