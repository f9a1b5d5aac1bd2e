/**
 * JWT_JWKS_URL (issue 7, item 1): keys fetched from the identity provider's JWKS by `kid`, rotation
 * picked up without a restart, unknown kids refused (and refetches rate-limited), only RS256/ES256.
 * The provider is a plain http server on 127.0.0.1 inside the test.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwksVerifier } from '../../src/auth/jwks.ts';
import { AuthenticationError } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

interface Pair {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}
const ec = (kid: string): Pair => ({ kid, alg: 'ES256', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) });
const rsa = (kid: string, bits = 2048): Pair => ({ kid, alg: 'RS256', ...generateKeyPairSync('rsa', { modulusLength: bits }) });

const k1 = ec('k1');
const k2 = rsa('k2');
const weak = rsa('weak', 1024);

let published: Pair[] = [k1];
let fetches = 0;
let provider: Server;
let jwksUrl: string;

const sign = (pair: Pair, claims: Record<string, unknown> = {}, options: jwt.SignOptions = {}) =>
  jwt.sign({ role: 'bank', org: 'bank-a', ...claims }, pair.privateKey, {
    algorithm: pair.alg,
    keyid: pair.kid,
    subject: 'bank-user',
    issuer: 'envcredit',
    audience: 'envcredit',
    expiresIn: '10m',
    ...options,
  });

beforeAll(async () => {
  provider = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((p) => ({ ...p.publicKey.export({ format: 'jwk' }), kid: p.kid, alg: p.alg, use: 'sig' })) }));
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  await new Promise((resolve) => provider.close(resolve));
});

const options = () => ({ url: jwksUrl, issuer: 'envcredit', audience: 'envcredit' });

describe('JWKS verifier', () => {
  it('accepts a token signed by a published key, fetching the set once', async () => {
    published = [k1];
    fetches = 0;
    const verify = createJwksVerifier({ ...options(), minRefreshMs: 0 });
    expect(await verify(sign(k1))).toMatchObject({ subject: 'bank-user', role: 'bank', org: 'bank-a' });
    expect(await verify(sign(k1))).toMatchObject({ subject: 'bank-user' });
    expect(fetches).toBe(1);
  });

  it('picks up a rotated-in key by refetching on its unknown kid, and drops a rotated-out one when the cache ages', async () => {
    published = [k1];
    fetches = 0;
    let now = 1_000_000;
    const verify = createJwksVerifier({ ...options(), minRefreshMs: 0, maxAgeMs: 60_000, now: () => now });
    await verify(sign(k1));
    published = [k1, k2]; // the provider adds k2 and starts signing with it
    expect(await verify(sign(k2))).toMatchObject({ role: 'bank' });
    expect(fetches).toBe(2);
    published = [k2]; // and later retires k1
    expect(await verify(sign(k1))).toMatchObject({ role: 'bank' }); // still cached
    now += 61_000;
    await expect(verify(sign(k1))).rejects.toThrow(/unknown key id "k1"/);
    expect(await verify(sign(k2))).toMatchObject({ role: 'bank' });
  });

  it('refuses an unknown kid, and refetches for unknown kids at most once per interval', async () => {
    published = [k1];
    fetches = 0;
    const verify = createJwksVerifier({ ...options(), minRefreshMs: 30_000 });
    await verify(sign(k1));
    const stranger = ec('k9');
    for (let i = 0; i < 5; i++) {
      const error = await verify(sign(stranger)).catch((e) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(/unknown key id "k9"/);
    }
    expect(fetches).toBe(1);
  });

  it('refuses tokens a JWKS key must not verify', async () => {
    published = [k1, k2, weak];
    const verify = createJwksVerifier({ ...options(), minRefreshMs: 0 });
    const refused = async (token: string, pattern: RegExp) => {
      const error = await verify(token).catch((e) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(pattern);
    };
    // HS256 "signed" with the RSA public key (key confusion) and alg none
    const pem = k2.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await refused(jwt.sign({ role: 'bank' }, pem, { algorithm: 'HS256', keyid: 'k2', subject: 's', issuer: 'envcredit', audience: 'envcredit', expiresIn: '1m' }), /HS256 is not allowed/);
    await refused(jwt.sign({ role: 'bank', sub: 's', iss: 'envcredit', aud: 'envcredit', exp: Math.floor(Date.now() / 1000) + 60 }, '', { algorithm: 'none', keyid: 'k1' } as jwt.SignOptions), /none is not allowed/);
    // signed by another key under a published kid, or claiming the other algorithm of a published key
    await refused(sign({ ...ec('k1'), kid: 'k1' }), /invalid signature/);
    await refused(jwt.sign({ role: 'bank' }, k2.privateKey, { algorithm: 'RS384', keyid: 'k2', subject: 's', issuer: 'envcredit', audience: 'envcredit', expiresIn: '1m' }), /RS384 is not allowed/);
    // no kid; a key too weak to publish; the usual claim checks
    await refused(jwt.sign({ role: 'bank' }, k1.privateKey, { algorithm: 'ES256', subject: 's', issuer: 'envcredit', audience: 'envcredit', expiresIn: '1m' }), /kid header is required/);
    await refused(sign(weak, {}, { allowInsecureKeySizes: true }), /unknown key id "weak"/);
    await refused(sign(k1, {}, { issuer: 'someone-else' }), /jwt issuer invalid/);
    await refused(sign(k1, {}, { audience: 'someone-else' }), /jwt audience invalid/);
    await refused(sign(k1, {}, { expiresIn: -60 }), /jwt expired/);
    await refused(sign(k1, { role: 'root' }), /role must be one of/);
    await refused('garbage', /malformed/);
  });

  it('reports an unreachable provider as an authentication failure, not a crash', async () => {
    const verify = createJwksVerifier({ url: 'http://127.0.0.1:9/jwks.json', issuer: 'envcredit', audience: 'envcredit', timeoutMs: 500 });
    await expect(verify(sign(k1))).rejects.toThrow(/signing keys unavailable/);
  });
});

describe('JWT_JWKS_URL in the configuration and the server', () => {
  it('is exclusive with the other keys and must be https except on localhost', () => {
    expect(() => loadConfig({ JWT_JWKS_URL: 'http://idp.example/jwks.json' })).toThrow(/JWT_JWKS_URL/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://idp.example/jwks.json', JWT_SECRET: 'x'.repeat(40) })).toThrow(/JWT_JWKS_URL is set together with JWT_SECRET/);
    const config = loadConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example/jwks.json' });
    expect(config.jwt).toMatchObject({ jwksUrl: 'https://idp.example/jwks.json', secret: undefined, publicKey: undefined });
  });

  describe('a server configured with a JWKS', () => {
    let server: TestServer;
    beforeAll(async () => {
      published = [k1, k2];
      server = await startTestServer({ JWT_SECRET: '', JWT_JWKS_URL: jwksUrl });
    });
    afterAll(async () => {
      await server?.stop();
    });

    const ask = (token: string) =>
      fetch(server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ watchList(first: 1) { edges { node { creditCode } } } }' }),
      });

    it('serves a caller whose token a published key signed, and refuses an unknown kid with UNAUTHENTICATED', async () => {
      const ok = await ask(sign(k2));
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ data: { watchList: { edges: [] } } });
      const unknown = await ask(sign(ec('nobody')));
      expect(unknown.status).toBe(401);
      const body = (await unknown.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    });
  });
});
