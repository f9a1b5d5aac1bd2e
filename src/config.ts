import { z } from 'zod';

/** Start-up configuration, read once from the environment and validated as a whole. */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  rulesDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jwt: {
    secret: string | undefined;
    publicKey: string | undefined;
    issuer: string;
    audience: string;
  };
  /** Largest `first` any connection accepts. */
  maxPageSize: number;
  seedDemoOnEmpty: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(4000)),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  RULES_DIR: z.preprocess(emptyAsUndefined, z.string().default('./rules')),
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
      .optional(),
  ),
  JWT_ISSUER: z.preprocess(emptyAsUndefined, z.string().default('envcredit')),
  JWT_AUDIENCE: z.preprocess(emptyAsUndefined, z.string().default('envcredit')),
  MAX_PAGE_SIZE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1000).default(100)),
  SEED_DEMO: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
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
  if (production && !e.JWT_SECRET && !e.JWT_PUBLIC_KEY) {
    throw new ConfigError(
      'JWT_SECRET / JWT_PUBLIC_KEY',
      'is missing: with NODE_ENV=production set JWT_PUBLIC_KEY (PEM, RS256/ES256) or JWT_SECRET (HS256); the service will not start without a token key',
    );
  }
  if (e.JWT_SECRET && e.JWT_PUBLIC_KEY) {
    throw new ConfigError('JWT_SECRET / JWT_PUBLIC_KEY', 'are both set: configure exactly one token key');
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
    logLevel: e.LOG_LEVEL,
    jwt: {
      secret: e.JWT_SECRET ?? (e.JWT_PUBLIC_KEY || production ? undefined : DEVELOPMENT_JWT_SECRET),
      publicKey: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    maxPageSize: e.MAX_PAGE_SIZE,
    seedDemoOnEmpty: production ? false : e.SEED_DEMO !== 'false',
  };
}
