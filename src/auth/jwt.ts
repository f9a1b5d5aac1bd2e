import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import { ConfigError, type Config } from '../config.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import { isInstitutionRole, ROLES, type Principal, type Role } from './principal.ts';

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

export type TokenVerifier = (token: string) => Principal;

export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Builds the verifier for `Authorization: Bearer` tokens. The algorithm list is fixed by the kind
 * of key configured, so a token cannot choose its own (no `none`, no HS256 signed with a public key).
 */
export function createTokenVerifier(config: Pick<Config, 'jwt'>): TokenVerifier {
  const { secret, publicKey, issuer, audience } = config.jwt;
  if (!publicKey && !secret) throw new Error('no token key configured (JWT_SECRET or JWT_PUBLIC_KEY; for JWT_JWKS_URL use createRequestVerifier)');
  // A KeyObject built once: given a string, jsonwebtoken first tries to parse it as a PEM public key
  // and then builds a secret key, on every verify — measured at about a quarter of the CPU of a
  // creditCheck request (docs/PERFORMANCE.md, row d).
  const key: KeyObject = publicKey ? createPublicKey(publicKey) : createSecretKey(Buffer.from(secret!, 'utf8'));
  const algorithms: Algorithm[] = publicKey ? ['RS256', 'ES256'] : ['HS256'];
  return (token) => {
    let payload: string | JwtPayload;
    try {
      payload = jwt.verify(token, key, { algorithms, issuer, audience, clockTolerance: CLOCK_TOLERANCE_SECONDS });
    } catch (error) {
      throw new AuthenticationError(`invalid token: ${(error as Error).message}`);
    }
    return principalFromClaims(payload);
  };
}

export function principalFromClaims(payload: string | JwtPayload): Principal {
  if (typeof payload === 'string') throw new AuthenticationError('invalid token: payload is not a JSON object');
  if (typeof payload.exp !== 'number') throw new AuthenticationError('invalid token: exp claim is required');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw new AuthenticationError('invalid token: sub claim is required');
  }
  const role = payload.role;
  if (!ROLES.includes(role)) {
    throw new AuthenticationError(`invalid token: role must be one of ${ROLES.join(', ')}`);
  }
  const org = typeof payload.org === 'string' && payload.org.length > 0 ? payload.org : null;
  // An institution is known by its org: without one there is nothing to key its watch list and
  // inquiries on (falling back to sub would hand it whichever org happens to share that name).
  if (org === null && isInstitutionRole(role)) {
    throw new AuthenticationError(`invalid token: the ${role} role needs an org claim (the institution it acts for)`);
  }
  let creditCode: string | null = null;
  if (role === 'enterprise') {
    const checked = typeof payload.credit_code === 'string' ? checkCreditCode(payload.credit_code) : null;
    if (!checked?.valid) {
      throw new AuthenticationError('invalid token: the enterprise role needs a valid credit_code claim');
    }
    creditCode = checked.code;
  }
  return { subject: payload.sub, role: role as Role, org, creditCode };
}

export interface MintOptions {
  role: Role;
  subject?: string;
  org?: string;
  creditCode?: string;
  /** Lifetime, e.g. `1h`, `30m`, `7d`. */
  ttl?: string;
}

/** Signs a development token with JWT_SECRET (HS256). Production keys are issued elsewhere. */
export function mintDevelopmentToken(config: Pick<Config, 'jwt'>, options: MintOptions): string {
  const { secret, issuer, audience } = config.jwt;
  if (!secret) throw new ConfigError('JWT_SECRET', 'is not set: minting needs it (HS256); with JWT_PUBLIC_KEY or JWT_JWKS_URL tokens come from your identity provider');
  const claims: Record<string, string> = { role: options.role };
  if (options.org) claims.org = options.org;
  if (options.creditCode) claims.credit_code = options.creditCode;
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    subject: options.subject ?? `dev-${options.role}`,
    issuer,
    audience,
    expiresIn: (options.ttl ?? '1h') as jwt.SignOptions['expiresIn'],
  });
}
