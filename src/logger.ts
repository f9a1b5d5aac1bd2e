import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Level, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by requestLogging: the x-request-id echoed to the client and bound to every log line of the request. */
    id: string;
    /** Set by requestLogging: a child logger carrying `reqId`. */
    log: Logger;
  }
}

/** `toStderr`: for commands whose standard output is their result (JSON a script reads). */
export function createLogger(config: Pick<Config, 'logLevel'>, options: { toStderr?: boolean } = {}): Logger {
  const settings = {
    level: config.logLevel,
    base: { service: 'envcredit' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  return options.toStderr ? pino(settings, pino.destination(2)) : pino(settings);
}

const CLIENT_REQUEST_ID = /^[\w.-]{1,100}$/;

/** The caller's x-request-id when it is a plain token of at most 100 characters, otherwise a new UUID. */
function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** A request target without its query string (and without a fragment, should a client send one). */
export function pathOf(target: string): string {
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

/**
 * Gives each request an id (echoed in x-request-id) and a child logger bound to it and to the
 * request (method, URL path without the query string, the connection's peer address, the User-Agent;
 * no other header, so no credential can reach the log), and logs one line when the response ends: info for answers
 * below 500, warn when the client went away first, error for 5xx or a response error. In place of pino-http, which serialises the
 * whole request with its headers into a child logger on every request, logged or not (0.13 ms of a
 * creditCheck's CPU in the row-d profile with logging off).
 */
export function requestLogging(logger: Logger, options: { ignore?: (url: string) => boolean } = {}) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const id = requestIdOf(req);
    req.id = id;
    res.setHeader('x-request-id', id);
    // Read now: express rewrites req.url while a mounted router handles the request, and the socket
    // forgets its peer once the client has gone. The path only: a GET /graphql carries the whole
    // operation and its variables (the credit codes looked up) in the query string, which the audit
    // log deliberately keeps only as a digest.
    const url = pathOf(req.url ?? '');
    const request = { id, method: req.method, url, remoteAddress: req.socket.remoteAddress, userAgent: req.headers['user-agent'] };
    const log = logger.child({ reqId: id, req: request });
    req.log = log;
    const started = performance.now();
    const logEnd = logger.isLevelEnabled('error') && !options.ignore?.(url);
    const done = (error?: Error) => {
      res.off('finish', done).off('close', done);
      const aborted = !res.writableFinished;
      const failed = error !== undefined || res.statusCode >= 500;
      const level: Level = failed ? 'error' : aborted ? 'warn' : 'info';
      if (!(logEnd || error) || !log.isLevelEnabled(level)) return;
      const summary = { res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started), ...(error ? { err: error } : {}) };
      log[level](summary, failed ? 'request failed' : aborted ? 'request aborted by the client' : 'request completed');
    };
    // An 'error' on a response nobody listens to would end the process: always listened to (for the
    // response's whole life, a write after the end included) and logged.
    res.on('error', done);
    if (logEnd) res.on('finish', done).on('close', done);
    next();
  };
}
