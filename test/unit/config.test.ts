import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults for a developer with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, databaseUrl: undefined, dataDir: './data', rulesDir: './rules', logLevel: 'info', seedDemoOnEmpty: true });
    expect(config.jwt).toEqual({ secret: DEVELOPMENT_JWT_SECRET, publicKey: undefined, issuer: 'envcredit', audience: 'envcredit' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: ' ' }, 'PORT'],
    [{ RATING_WORKERS: ' ' }, 'RATING_WORKERS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_PUBLIC_KEY: 'not a pem' }, 'JWT_PUBLIC_KEY'],
    [{ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot-a-key\n-----END PUBLIC KEY-----\n' }, 'JWT_PUBLIC_KEY'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ CORS_ORIGINS: 'bank-a.example.cn' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://bank-a.example.cn/portal' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'ftp://bank-a.example.cn' }, 'CORS_ORIGINS'],
    [{ DATABASE_APP_ROLE: 'App Role' }, 'DATABASE_APP_ROLE'],
    [{ RATING_WORKERS: '-1' }, 'RATING_WORKERS'],
    [{ RATING_WORKERS: 'two' }, 'RATING_WORKERS'],
    [{ MAX_WATCHED_CODES: '0' }, 'MAX_WATCHED_CODES'],
    [{ MAX_WATCHED_CODES: 'many' }, 'MAX_WATCHED_CODES'],
  ])('stops on %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable}`));
  });

  it('accepts a public key it can read', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(loadConfig({ JWT_PUBLIC_KEY: publicKey }).jwt.publicKey).toBe(publicKey);
  });

  it('refuses production without a token key, and never seeds demo data there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET \/ JWT_PUBLIC_KEY is missing/);
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) });
    expect(config.seedDemoOnEmpty).toBe(false);
    expect(config.jwt.secret).toBe('x'.repeat(40));
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), SEED_DEMO: 'true' })).toThrow(/SEED_DEMO/);
  });

  it('reads CORS origins as a list, any origin only outside production unless asked', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://a.example.cn ,https://b.example.cn:8443' }).corsOrigins).toEqual(['https://a.example.cn', 'https://b.example.cn:8443']);
    expect(loadConfig({}).corsOrigins).toBe('*');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it('bounds a watch list at 100,000 codes unless MAX_WATCHED_CODES says otherwise', () => {
    expect(loadConfig({}).maxWatchedCodes).toBe(100_000);
    expect(loadConfig({ MAX_WATCHED_CODES: '250000' }).maxWatchedCodes).toBe(250_000);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 4000, databaseUrl: undefined });
  });
});
