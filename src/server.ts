import { randomUUID } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { AuthenticationError } from './auth/jwt.ts';
import { createRequestVerifier, verifyOncePerRequest, type RequestTokenVerifier } from './auth/jwks.ts';
import type { Principal } from './auth/principal.ts';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import { isUnavailable, serviceUnavailable } from './db/errors.ts';
import { pingDatabase } from './db/connect.ts';
import { pendingMigrations } from './db/migrate.ts';
import { appError } from './errors.ts';
import type { Context } from './graphql/context.ts';
import { buildSchema } from './graphql/schema.ts';
import type { Clock } from './clock.ts';
import { requestLogging, type Logger } from './logger.ts';
import type { RunTracker } from './rating/runner.ts';
import { registersRouter } from './registers/http.ts';
import { siteRouter } from './site/router.ts';
import type { RuleRegistry } from './rules/index.ts';
import { auditPlugin } from './audit/plugin.ts';
import { graphqlHardening } from './security/graphql-limits.ts';
import { corsOptions, jsonErrors, jsonNotFound, rateLimit, securityHeaders, trustLoopbackProxies } from './security/http-hardening.ts';

export interface AppDependencies {
  config: Config;
  db: Db;
  logger: Logger;
  rules: RuleRegistry;
  tracker: RunTracker;
  clock: Clock;
}

type ServerContext = { req: Request };

async function principalFromHeader(req: Request, verify: RequestTokenVerifier): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw appError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
  try {
    return await verifyOncePerRequest(req, match[1]!, verify);
  } catch (error) {
    if (error instanceof AuthenticationError) throw appError('UNAUTHENTICATED', error.message);
    throw error;
  }
}

/** Keeps clients' own errors, turns database outages into SERVICE_UNAVAILABLE, hides everything else. */
function maskError(logger: Logger) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    // GraphQLErrors are client-facing by construction: our own (with a code) and graphql-js's input
    // coercion errors ("Variable "$x" got invalid value…"); src/security adds a code where missing.
    if (original instanceof GraphQLError) return graphqlError ?? original;
    if (graphqlError && !graphqlError.originalError) return graphqlError; // parse/validation errors
    if (isUnavailable(original)) return serviceUnavailable();
    const errorId = randomUUID();
    logger.error({ err: original, errorId }, 'unexpected error in a GraphQL request');
    return new GraphQLError('Unexpected error. Quote the errorId to the operators.', {
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    });
  };
}

export function createApp({ config, db, logger, rules, tracker, clock }: AppDependencies): Express {
  const verify = createRequestVerifier(config);
  const production = config.nodeEnv === 'production';
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustLoopbackProxies);
  app.use(securityHeaders(config));

  app.use(requestLogging(logger, { ignore: (url) => url === '/healthz' || url === '/readyz' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      await pingDatabase(db);
      const pending = await pendingMigrations(db);
      if (pending.length > 0) {
        res.status(503).json({ status: 'migrating', pending });
        return;
      }
      res.json({ status: 'ready' });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'database unavailable' });
    }
  });

  // The audit plugin goes inside the hardening list, ahead of the guards that refuse at execution
  // (NUL characters, cost with variables), so refused operations are audited too.
  const hardening = graphqlHardening(config, { audit: auditPlugin({ logger }) });
  const yoga = createYoga<ServerContext, Context>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: !production,
    landingPage: false,
    cors: corsOptions(config),
    logging: false,
    maskedErrors: { maskError: maskError(logger) },
    ...hardening,
    context: async ({ req }) => ({
      db,
      config,
      rules,
      tracker,
      clock,
      logger: req.log,
      requestId: req.id,
      principal: await principalFromHeader(req, verify),
    }),
  });
  // Yoga is itself a node request handler; it receives { req, res } as its server context.
  // Whether CORS headers are sent depends on the Origin header, so shared caches must key on it.
  app.use(yoga.graphqlEndpoint, (_req, res, next) => (res.vary('Origin'), next()));
  app.use(yoga.graphqlEndpoint, rateLimit({ limits: config.limits, verify }));
  app.use(yoga.graphqlEndpoint, yoga as unknown as express.RequestHandler);
  app.use('/registers', rateLimit({ limits: config.limits, verify }), registersRouter({ db, clock, logger }));
  // The public disclosure site (server-rendered HTML, src/site/).
  app.use(rateLimit({ limits: config.limits, verify }), siteRouter({ db, clock, rules, logger }));
  app.use(jsonNotFound);
  app.use(jsonErrors(logger));
  return app;
}
