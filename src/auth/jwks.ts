import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { Config } from '../config.ts';
import { AuthenticationError, CLOCK_TOLERANCE_SECONDS, createTokenVerifier, principalFromClaims } from './jwt.ts';
import type { Principal } from './principal.ts';
import { rememberVerifiedTokens } from './token-cache.ts';

/**
 * Tokens signed by an identity provider that publishes its keys as a JWKS (JWT_JWKS_URL). Each token
 * names its key by `kid`; keys are fetched once and cached, and a `kid` not in the cache makes one
 * refetch (at most one every `minRefreshMs`), so the provider can add a key and start signing with it
 * without envcredit restarting — and a flood of made-up `kid`s cannot turn into a flood of fetches.
 *
 * Only RS256 (RSA keys of at least 2048 bits) and ES256 (EC P-256) are accepted; the algorithm is
 * fixed by the key, never chosen by the token. Written on node:crypto (JWK import) rather than taking
 * jwks-rsa, which brings jose, lru-memoizer and an HTTP layer for what is ~100 lines here.
 */

type Algorithm = 'RS256' | 'ES256';

interface CachedKey {
  key: KeyObject;
  alg: Algorithm;
}

export interface JwksOptions {
  url: string;
  issuer: string;
  audience: string;
  /** Refetch the set this often even when every kid is known (provider removed a key). Default 10 min. */
  maxAgeMs?: number;
  /** Least time between two fetches caused by unknown kids. Default 30 s. */
  minRefreshMs?: number;
  /** A fetch slower than this fails. Default 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** Which algorithm a JWK may verify, or null when the key is not one envcredit accepts. */
function algorithmOf(jwk: JsonWebKey & { alg?: string; use?: string }): Algorithm | null {
  if (jwk.use !== undefined && jwk.use !== 'sig') return null;
  if (jwk.kty === 'RSA' && (jwk.alg === undefined || jwk.alg === 'RS256')) return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256')) return 'ES256';
  return null;
}

export class JwksKeyStore {
  private keys = new Map<string, CachedKey>();
  private fetchedAt = -Infinity;
  private inflight: Promise<void> | undefined;
  private readonly maxAgeMs: number;
  private readonly minRefreshMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly url: string, options: Omit<JwksOptions, 'url' | 'issuer' | 'audience'> = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.minRefreshMs = options.minRefreshMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** The key for `kid`, refetching the set when it is stale or the kid is unknown (rate-limited). */
  async get(kid: string): Promise<CachedKey> {
    const age = this.now() - this.fetchedAt;
    if (age > this.maxAgeMs || (!this.keys.has(kid) && age >= this.minRefreshMs)) {
      await this.refresh().catch((error: Error) => {
        // A failed refetch keeps the keys we have; with none at all, nothing can be verified.
        if (this.keys.size === 0) throw new AuthenticationError(`invalid token: signing keys unavailable (${error.message})`);
      });
    }
    const found = this.keys.get(kid);
    if (!found) throw new AuthenticationError(`invalid token: unknown key id "${kid}"`);
    return found;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    // Whatever the outcome, the next unknown-kid refetch waits minRefreshMs.
    this.fetchedAt = this.now();
    const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`JWKS ${this.url} answered HTTP ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`JWKS ${this.url} has no "keys" array`);
    const keys = new Map<string, CachedKey>();
    for (const jwk of body.keys as (JsonWebKey & { kid?: string; alg?: string; use?: string })[]) {
      if (typeof jwk?.kid !== 'string' || jwk.kid.length === 0) continue;
      const alg = algorithmOf(jwk);
      if (!alg) continue;
      try {
        const { kid, alg: _alg, use: _use, ...material } = jwk;
        const key = createPublicKey({ key: material, format: 'jwk' });
        if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) continue;
        keys.set(kid, { key, alg });
      } catch {
        // A malformed key is skipped; the others still work.
      }
    }
    this.keys = keys;
  }
}

/** An async verifier for JWKS-signed tokens; the same claim checks as the PEM/HS256 verifier. */
export function createJwksVerifier(options: JwksOptions): (token: string) => Promise<Principal> {
  const store = new JwksKeyStore(options.url, options);
  return async (token) => {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded !== 'object') throw new AuthenticationError('invalid token: jwt malformed');
    const { kid, alg } = decoded.header;
    if (alg !== 'RS256' && alg !== 'ES256') throw new AuthenticationError(`invalid token: algorithm ${String(alg)} is not allowed (RS256 or ES256)`);
    if (typeof kid !== 'string' || kid.length === 0) throw new AuthenticationError('invalid token: a kid header is required');
    const entry = await store.get(kid);
    let payload: string | JwtPayload;
    try {
      payload = jwt.verify(token, entry.key, {
        algorithms: [entry.alg],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch (error) {
      throw new AuthenticationError(`invalid token: ${(error as Error).message}`);
    }
    return principalFromClaims(payload);
  };
}

/** A verifier that may answer later: synchronous for JWT_SECRET / JWT_PUBLIC_KEY, async for JWT_JWKS_URL. */
export type RequestTokenVerifier = (token: string) => Principal | Promise<Principal>;

/** The verifier the server uses, whichever kind of key is configured, remembering tokens it verified. */
export function createRequestVerifier(config: Pick<Config, 'jwt'>): RequestTokenVerifier {
  const { jwksUrl, issuer, audience } = config.jwt;
  return rememberVerifiedTokens(jwksUrl ? createJwksVerifier({ url: jwksUrl, issuer, audience }) : createTokenVerifier(config));
}

const verifiedRequests = new WeakMap<object, Promise<Principal>>();

/**
 * Verifies a request's bearer token once, however many layers ask: the rate limiter needs the
 * subject before GraphQL runs, and the GraphQL context needs the principal after.
 */
export function verifyOncePerRequest(request: object, token: string, verify: RequestTokenVerifier): Promise<Principal> {
  let verified = verifiedRequests.get(request);
  if (!verified) {
    verified = Promise.resolve().then(() => verify(token));
    verifiedRequests.set(request, verified);
  }
  return verified;
}
