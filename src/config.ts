import { createPublicKey } from 'node:crypto';
import { z } from 'zod';

/** Start-up configuration, read once from the environment and validated as a whole. */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  rulesDir: string;
  /** The rule set dynamic adjustments use for an enterprise never rated before. */
  defaultRuleSetId: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jwt: {
    secret: string | undefined;
    publicKey: string | undefined;
    /** JWKS endpoint of the identity provider (RS256/ES256 keys by kid, refetched on an unknown kid). */
    jwksUrl?: string | undefined;
    issuer: string;
    audience: string;
  };
  /** Largest `first` any connection accepts. */
  maxPageSize: number;
  /** Most credit codes one batch (creditChecks, watch, unwatch) accepts. */
  maxBatchCodes: number;
  /** Most credit codes one institution's watch list holds (watch calls add up; each is capped by maxBatchCodes). */
  maxWatchedCodes: number;
  seedDemoOnEmpty: boolean;
  /**
   * The application's own database role (docs/SECURITY.md "Database role"): when set, `envcredit
   * migrate` grants it read-and-append on history right after migrating, so grants never lag a migration.
   */
  databaseAppRole: string | undefined;
  /**
   * Browser origins allowed to call /graphql cross-site: `'*'` (any), a list, or none (same-origin
   * only). Tokens travel in the Authorization header, never cookies, so no credentials are allowed.
   */
  corsOrigins: '*' | string[];
  /** Worker threads that rate a run's batches; 0 rates on the main thread. */
  ratingWorkers: number;
  /** GraphQL and HTTP limits (src/security, docs/SECURITY.md). */
  limits: Limits;
}

export interface Limits {
  /** Deepest field nesting of an operation. */
  maxDepth: number;
  /** Aliased fields per operation. */
  maxAliases: number;
  /** Lexical tokens per document. */
  maxTokens: number;
  /** Directives per operation. */
  maxDirectives: number;
  /** graphql-armor cost (objects 2, scalars 1, x1.5 per level, x literal `first`). */
  maxCost: number;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Requests per minute (and burst) for one token subject; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Requests per minute (and burst) for one client IP without a valid token; 0 turns the limit off. */
  rateLimitAnonymousPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/**
 * A whole number between min and max, `fallback` when unset or empty. Digits only: a blank such as
 * PORT=" " would otherwise coerce to 0 (an ephemeral port, no workers) without a word.
 */
const intVar = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(fallback),
  );

/** A PEM the token verifier can use: a right header over a garbled body fails here, named, not at the first request. */
function isReadablePublicKey(pem: string): boolean {
  try {
    createPublicKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** scheme://host[:port] and nothing more, as a browser sends it in the Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: intVar(4000, 0, 65535),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATABASE_APP_ROLE: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a role name: lower-case letters, digits and _ (at most 63)').optional(),
  ),
  RATING_WORKERS: intVar(0, 0, 64),
  CORS_ORIGINS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .refine((list) => list.every((o) => o === '*' || isOrigin(o)), 'must be * or a comma-separated list of origins such as https://bank.example.cn')
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  RULES_DIR: z.preprocess(emptyAsUndefined, z.string().default('./rules')),
  DEFAULT_RULE_SET: z.preprocess(emptyAsUndefined, z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be a rule set id such as linjiang').default('linjiang')),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  JWT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((v) => v.includes('-----BEGIN PUBLIC KEY-----'), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)')
      .refine(isReadablePublicKey, 'must be a readable PEM public key (this one does not decode)')
      .optional(),
  ),
  JWT_JWKS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .url('must be a URL')
      .refine((v) => {
        const u = new URL(v);
        return u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
      }, 'must be an https:// URL (http:// only for localhost)')
      .optional(),
  ),
  JWT_ISSUER: z.preprocess(emptyAsUndefined, z.string().default('envcredit')),
  JWT_AUDIENCE: z.preprocess(emptyAsUndefined, z.string().default('envcredit')),
  MAX_PAGE_SIZE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1000).default(100)),
  MAX_BATCH_CODES: intVar(10_000, 1, 100_000),
  MAX_WATCHED_CODES: intVar(100_000, 1, 10_000_000),
  SEED_DEMO: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
  GRAPHQL_MAX_DEPTH: intVar(10, 1, 100),
  GRAPHQL_MAX_ALIASES: intVar(30, 0, 1000),
  GRAPHQL_MAX_TOKENS: intVar(2000, 50, 100_000),
  GRAPHQL_MAX_DIRECTIVES: intVar(20, 0, 1000),
  GRAPHQL_MAX_COST: intVar(25_000, 10, 10_000_000),
  MAX_REQUEST_BODY_BYTES: intVar(1_048_576, 1024, 100 * 1_048_576),
  RATE_LIMIT_PER_MINUTE: intVar(600, 0, 1_000_000),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: intVar(300, 0, 1_000_000),
});

/** A secret only for local development, so `npm start` works with no setup. Refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'envcredit-development-secret-do-not-use-in-production';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), `is invalid: ${issue.message}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.JWT_SECRET && !e.JWT_PUBLIC_KEY && !e.JWT_JWKS_URL) {
    throw new ConfigError(
      'JWT_SECRET / JWT_PUBLIC_KEY',
      'is missing: with NODE_ENV=production set JWT_JWKS_URL or JWT_PUBLIC_KEY (PEM, RS256/ES256) or JWT_SECRET (HS256); the service will not start without a token key',
    );
  }
  if (e.JWT_SECRET && e.JWT_PUBLIC_KEY) {
    throw new ConfigError('JWT_SECRET / JWT_PUBLIC_KEY', 'are both set: configure exactly one token key');
  }
  if (e.JWT_JWKS_URL && (e.JWT_SECRET || e.JWT_PUBLIC_KEY)) {
    throw new ConfigError('JWT_JWKS_URL', `is set together with ${e.JWT_SECRET ? 'JWT_SECRET' : 'JWT_PUBLIC_KEY'}: configure exactly one token key`);
  }
  if (production && e.SEED_DEMO === 'true') {
    throw new ConfigError('SEED_DEMO', 'cannot be true with NODE_ENV=production: demo data never enters a production database');
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    rulesDir: e.RULES_DIR,
    defaultRuleSetId: e.DEFAULT_RULE_SET,
    logLevel: e.LOG_LEVEL,
    jwt: {
      secret: e.JWT_SECRET ?? (e.JWT_PUBLIC_KEY || e.JWT_JWKS_URL || production ? undefined : DEVELOPMENT_JWT_SECRET),
      publicKey: e.JWT_PUBLIC_KEY,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    maxPageSize: e.MAX_PAGE_SIZE,
    maxBatchCodes: e.MAX_BATCH_CODES,
    maxWatchedCodes: e.MAX_WATCHED_CODES,
    seedDemoOnEmpty: production ? false : e.SEED_DEMO !== 'false',
    databaseAppRole: e.DATABASE_APP_ROLE,
    ratingWorkers: e.RATING_WORKERS,
    // Unset: any origin while developing, none in production (an operator names the bank portals).
    corsOrigins: e.CORS_ORIGINS ? (e.CORS_ORIGINS.includes('*') ? '*' : e.CORS_ORIGINS) : production ? [] : '*',
    limits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxBodyBytes: e.MAX_REQUEST_BODY_BYTES,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      rateLimitAnonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    },
  };
}
