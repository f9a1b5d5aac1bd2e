import { CLOCK_TOLERANCE_SECONDS } from './jwt.ts';
import type { Principal } from './principal.ts';

type Verify = (token: string) => Principal | Promise<Principal>;

export interface TokenCacheOptions {
  /** Most tokens remembered; past it the oldest is forgotten. Default 10,000. */
  maxEntries?: number;
  /**
   * Longest a verified token is trusted without checking its signature again, whatever its exp.
   * Bounds how long a signing key the identity provider withdrew (JWT_JWKS_URL) still admits the
   * tokens it signed. Default 60 s.
   */
  maxAgeMs?: number;
  now?: () => number;
}

interface Remembered {
  principal: Principal;
  /** Epoch ms after which the entry is not used: the token's exp (with the verifier's tolerance) or maxAge, earlier first. */
  until: number;
}

/** The exp claim of a token whose signature was just verified (so its payload is known to be JSON). */
function expiryMs(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return (payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000;
}

/**
 * Remembers the principal of each token that verified, so a client sending the same bearer token on
 * every request pays the signature check and claim parsing once a minute rather than every time
 * (0.17 ms of a creditCheck's ~4 ms in the bench profile, docs/PERFORMANCE.md row d). Only successes
 * are remembered; an expired token is verified again, and so refused as before.
 */
export function rememberVerifiedTokens(verify: Verify, options: TokenCacheOptions = {}): Verify {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  const remembered = new Map<string, Remembered>();

  const remember = (token: string, principal: Principal): Principal => {
    const frozen = Object.freeze({ ...principal });
    if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!);
    remembered.set(token, { principal: frozen, until: Math.min(now() + maxAgeMs, expiryMs(token)) });
    return frozen;
  };

  return (token) => {
    const hit = remembered.get(token);
    if (hit) {
      if (now() < hit.until) return hit.principal;
      remembered.delete(token);
    }
    const verified = verify(token);
    return verified instanceof Promise ? verified.then((principal) => remember(token, principal)) : remember(token, verified);
  };
}
