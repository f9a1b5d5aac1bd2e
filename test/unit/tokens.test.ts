import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, createTokenVerifier, mintDevelopmentToken } from '../../src/auth/jwt.ts';

const SECRET = 'unit-test-secret-0123456789-0123456789';
const hsConfig = { jwt: { secret: SECRET, publicKey: undefined, issuer: 'envcredit', audience: 'envcredit' } };
const verifyHs = createTokenVerifier(hsConfig);
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'u1', role: 'bank', org: 'bank-a', iss: 'envcredit', aud: 'envcredit', exp: now() + 600, ...extra,
});
const signHs = (payload: object, options: jwt.SignOptions = {}) => jwt.sign(payload, SECRET, { algorithm: 'HS256', ...options });

describe('bearer token verification', () => {
  it('accepts a well-formed token and reads the principal', () => {
    expect(verifyHs(signHs(claims()))).toEqual({ subject: 'u1', role: 'bank', org: 'bank-a', creditCode: null });
    const enterprise = verifyHs(signHs(claims({ role: 'enterprise', credit_code: '91310110666007217t' })));
    expect(enterprise.creditCode).toBe('91310110666007217T');
  });

  it('round-trips a minted development token', () => {
    const token = mintDevelopmentToken(hsConfig, { role: 'bureau_officer', org: 'eeb' });
    expect(verifyHs(token)).toMatchObject({ role: 'bureau_officer', org: 'eeb', subject: 'dev-bureau_officer' });
  });

  const unsigned = (payload: object) =>
    `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
  const tamper = (token: string) => {
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.role = 'bureau_admin';
    return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  };

  it.each([
    ['alg none', () => unsigned(claims())],
    ['expired', () => signHs(claims({ exp: now() - 60 }))],
    ['not yet valid', () => signHs(claims({ nbf: now() + 600 }))],
    ['wrong issuer', () => signHs(claims({ iss: 'someone-else' }))],
    ['wrong audience', () => signHs(claims({ aud: 'other-service' }))],
    ['no exp', () => signHs({ sub: 'u1', role: 'bank', iss: 'envcredit', aud: 'envcredit' })],
    ['no sub', () => signHs(claims({ sub: undefined }))],
    ['tampered payload', () => tamper(signHs(claims()))],
    ['unknown role', () => signHs(claims({ role: 'superuser' }))],
    ['enterprise without credit_code', () => signHs(claims({ role: 'enterprise' }))],
    ['enterprise with a bad credit_code', () => signHs(claims({ role: 'enterprise', credit_code: '91310110666007217A' }))],
    ['signed with another secret', () => jwt.sign(claims(), 'another-secret-0123456789-0123456789')],
    ['garbage', () => 'not.a.token'],
  ])('rejects %s', (_name, make) => {
    expect(() => verifyHs(make())).toThrow(AuthenticationError);
  });

  it.each(['bank', 'insurer', 'finance'])('refuses a %s token without an org (an institution is known by its org, never by its sub)', (role) => {
    for (const org of [undefined, '']) {
      expect(() => verifyHs(signHs(claims({ role, org, sub: 'bank-a' })))).toThrow(/the \w+ role needs an org claim/);
    }
  });

  it('accepts bureau tokens without an org (they act for no institution)', () => {
    expect(verifyHs(signHs(claims({ role: 'bureau_officer', org: undefined }))).org).toBeNull();
  });

  it('refuses HS256 signed with the RSA public key (key confusion) when RS256 is configured', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verifyRs = createTokenVerifier({ jwt: { secret: undefined, publicKey: pem, issuer: 'envcredit', audience: 'envcredit' } });
    expect(verifyRs(jwt.sign(claims(), privateKey, { algorithm: 'RS256' })).role).toBe('bank');
    const forged = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    const signature = createHmac('sha256', pem).update(forged).digest('base64url');
    expect(() => verifyRs(`${forged}.${signature}`)).toThrow(AuthenticationError);
  });
});
