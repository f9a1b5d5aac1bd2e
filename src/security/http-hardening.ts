import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request as ExpressRequest, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { verifyOncePerRequest, type RequestTokenVerifier } from '../auth/jwks.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { CSRF_HEADER } from './graphql-limits.ts';
import { TokenBucketLimiter } from './token-bucket.ts';

/** A GraphQL-shaped error body, so clients read every refusal the same way. */
function sendError(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] }));
}

/**
 * helmet's headers (nosniff, frame and referrer policies, HSTS, CSP…). The default CSP would stop
 * GraphiQL's inline scripts, so it is only sent when GraphiQL is off (production); the API itself
 * answers JSON only.
 */
export function securityHeaders(config: Pick<Config, 'nodeEnv'>): RequestHandler {
  const graphiql = config.nodeEnv !== 'production';
  return helmet({ contentSecurityPolicy: graphiql ? false : undefined });
}

const LOOPBACK_V4 = /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i;

/**
 * express's `trust proxy` for a reverse proxy on the same host: a hop is trusted when it came from a
 * loopback address (127.0.0.0/8, ::1, or 127.x written as IPv4-mapped IPv6), as express's
 * 'loopback' preset does, without parsing the address with ipaddr.js on every request (0.05 ms of a
 * creditCheck in the row-d profile: the GraphQL adapter asks for req.protocol each time).
 */
export function trustLoopbackProxies(address: string): boolean {
  return address === '::1' || LOOPBACK_V4.test(address);
}

/**
 * Yoga's CORS options from CORS_ORIGINS. Yoga's own default reflects every origin and allows
 * credentials; here only the configured origins get an Access-Control-Allow-Origin, never with
 * credentials (bearer tokens, no cookies), and only for the methods and headers the API uses.
 */
export function corsOptions(config: Pick<Config, 'corsOrigins'>) {
  const { corsOrigins } = config;
  if (Array.isArray(corsOrigins) && corsOrigins.length === 0) return false as const;
  const allowed = corsOrigins === '*' ? undefined : new Set(corsOrigins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    // An origin outside the list gets no CORS headers at all, so the browser withholds the answer.
    if (allowed && (!origin || !allowed.has(origin))) return false as const;
    return {
      origin: corsOrigins === '*' ? '*' : origin!,
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', CSRF_HEADER, 'x-request-id'],
      exposedHeaders: ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'retry-after'],
      maxAge: 600,
    };
  };
}

/**
 * Requests a minute per verified token subject (RATE_LIMIT_PER_MINUTE) and, for requests without a
 * valid token, per client address (RATE_LIMIT_ANONYMOUS_PER_MINUTE); each is also the burst. An
 * invalid token counts against the address, so guessing tokens is throttled too. Over the limit the
 * answer is HTTP 429 with `Retry-After` and a RATE_LIMITED error; token problems themselves are
 * left to the GraphQL layer, which answers UNAUTHENTICATED.
 */
export function rateLimit(options: {
  limits: Pick<Config['limits'], 'rateLimitPerMinute' | 'rateLimitAnonymousPerMinute'>;
  verify: RequestTokenVerifier;
  now?: () => number;
}): RequestHandler {
  const { rateLimitPerMinute, rateLimitAnonymousPerMinute } = options.limits;
  const principals =
    rateLimitPerMinute > 0 ? new TokenBucketLimiter(rateLimitPerMinute, rateLimitPerMinute, options.now) : undefined;
  const addresses =
    rateLimitAnonymousPerMinute > 0
      ? new TokenBucketLimiter(rateLimitAnonymousPerMinute, rateLimitAnonymousPerMinute, options.now)
      : undefined;

  const subjectOf = async (req: ExpressRequest): Promise<string | undefined> => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!match) return undefined;
    try {
      return (await verifyOncePerRequest(req, match[1]!, options.verify)).subject;
    } catch {
      return undefined;
    }
  };

  return async (req, res, next) => {
    if (req.method === 'OPTIONS' || (!principals && !addresses)) {
      next(); // CORS preflights carry no token and do no work; with both limits off there is nothing to count
      return;
    }
    const subject = await subjectOf(req);
    const limiter = subject !== undefined ? principals : addresses;
    if (!limiter) {
      next();
      return;
    }
    const key = subject !== undefined ? `sub:${subject}` : `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
    const outcome = limiter.take(key);
    res.setHeader('ratelimit-limit', String(limiter.capacity));
    res.setHeader('ratelimit-remaining', String(outcome.remaining));
    if (outcome.allowed) {
      next();
      return;
    }
    res.setHeader('retry-after', String(outcome.retryAfterSeconds));
    sendError(
      res,
      429,
      'RATE_LIMITED',
      `Too many requests ${subject !== undefined ? 'for this token subject' : 'from this address'}; retry in ${outcome.retryAfterSeconds} s`,
      { retryAfterSeconds: outcome.retryAfterSeconds },
    );
  };
}

/** Unknown paths: a JSON 404 instead of express's HTML page. */
export const jsonNotFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${req.path}; GraphQL is at /graphql`);
};

/**
 * The last express handler: client faults (a malformed URL, a bad header) keep their 4xx status,
 * anything else is logged with an errorId and answered without a stack trace, never express's HTML.
 */
export function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = Number((error as { status?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode);
    if (status >= 400 && status < 500) {
      sendError(res, status, status === 413 ? 'REQUEST_ENTITY_TOO_LARGE' : 'BAD_REQUEST', 'Bad request');
      return;
    }
    const errorId = randomUUID();
    (req.log ?? logger).error({ err: error, errorId }, 'unexpected error in an HTTP request');
    sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error. Quote the errorId to the operators.', { errorId });
  };
}
