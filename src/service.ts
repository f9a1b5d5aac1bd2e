import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError, type Config } from './config.ts';
import { connectDatabase, connectionOptionsFrom, type DatabaseHandle } from './db/connect.ts';
import { grantAppRole } from './db/grants.ts';
import { createEvaluator } from './rating/evaluation-pool.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createLogger, type Logger } from './logger.ts';
import { createApp } from './server.ts';
import { failInterruptedRuns, RunTracker } from './rating/runner.ts';
import { assertPinnedVersionsUnchanged } from './rating/rule-pins.ts';
import { retryPendingAdjustments, type PendingAdjustmentServices } from './rating/pending-adjustments.ts';
import { loadRuleRegistry, type RuleRegistry } from './rules/index.ts';

export interface RunningService {
  url: string;
  rules: RuleRegistry;
  tracker: RunTracker;
  port: number;
  server: Server;
  database: DatabaseHandle;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An already-open database (tests); otherwise one is opened from the config and closed on stop. */
  database?: DatabaseHandle;
  /** Rule versions to serve; by default every file under RULES_DIR, all validated (a bad file stops start-up). */
  rules?: RuleRegistry;
  /** Where resolvers read the time (legal deadlines); the system clock unless a test moves time. */
  clock?: Clock;
  /** Runs after migrations, before requests are served (e.g. seeding the demo city); the port is already held, answering 503. */
  beforeListen?: (database: DatabaseHandle, logger: Logger, rules: RuleRegistry) => Promise<void>;
}

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Dynamic adjustments an import owed when its process died after the import committed. They do not
 * stop the service from starting: one that fails is logged and stays pending for the next start-up
 * or import, and while another applier is at work (an import's) start-up does not wait for it.
 */
async function makeAdjustmentsLeftPending(services: PendingAdjustmentServices): Promise<void> {
  await retryPendingAdjustments(services, { unlessBusy: true }).catch((error: unknown) => services.logger.error({ err: error }, 'pending dynamic adjustments could not be made at start-up'));
}

/** Start-up refuses a DEFAULT_RULE_SET no rule file defines: dynamic adjustments would otherwise fail later, one by one. */
function assertDefaultRuleSetLoaded(rules: RuleRegistry, defaultRuleSetId: string): void {
  const loaded = [...new Set(rules.list().map((s) => s.id))];
  if (!loaded.includes(defaultRuleSetId)) {
    throw new ConfigError('DEFAULT_RULE_SET', `is invalid: no rule set "${defaultRuleSetId}" is loaded (loaded: ${loaded.join(', ') || 'none'})`);
  }
}

/** Until start-up has migrated and seeded, requests get a 503 rather than a connection refused or a hang. */
const answerStarting: RequestListener = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5', connection: 'close' });
  res.end(JSON.stringify({ status: 'starting' }));
};

/** The reason start-up cannot hold PORT, in words (express 5's listen() would swallow it). */
function portError(error: NodeJS.ErrnoException, port: number): Error {
  const reason = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges this process lacks' : 'cannot be opened';
  return new Error(`port ${port} ${reason} (${error.code ?? error.message}): stop the other process or set PORT`, { cause: error });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(portError(error, port));
    server.once('error', onError);
    server.listen(port, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startService(options: StartOptions): Promise<RunningService> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  // Rules first: a bad rule file stops start-up before anything else is touched.
  const rules = options.rules ?? loadRuleRegistry(config.rulesDir);
  assertDefaultRuleSetLoaded(rules, config.defaultRuleSetId);
  // The port next, so one in use stops start-up at once, not after migrating and seeding.
  const server = createServer(answerStarting);
  await listen(server, config.port);
  try {
    return await serveWhenReady(options, server, logger, rules);
  } catch (error) {
    server.close();
    throw error;
  }
}

async function serveWhenReady(options: StartOptions, server: Server, logger: Logger, rules: RuleRegistry): Promise<RunningService> {
  const { config } = options;
  const database = options.database ?? (await connectDatabase(connectionOptionsFrom(config)));
  const ownsDatabase = !options.database;
  // Connected as the owner, start-up migrates and re-grants the service's role; connected as that
  // role (production), nothing is pending and nothing is granted.
  const applied = await migrateToLatest(database.db);
  const appRole = database.kind === 'postgres' && applied.length > 0 ? config.databaseAppRole : undefined;
  if (appRole) await grantAppRole(database.db, appRole);
  if (applied.length > 0) logger.info({ applied, grantedTo: appRole }, 'migrations applied');
  await options.beforeListen?.(database, logger, rules);

  await assertPinnedVersionsUnchanged(database.db, rules);
  const tracker = new RunTracker({ pool: database.pool, evaluator: createEvaluator(config.ratingWorkers) });
  const interrupted = await failInterruptedRuns(database.db, tracker);
  if (interrupted.length > 0) logger.warn({ runs: interrupted }, 'rating runs interrupted by an earlier stop were marked FAILED');
  const clock = options.clock ?? systemClock;
  await makeAdjustmentsLeftPending({ db: database.db, rules, defaultRuleSetId: config.defaultRuleSetId, logger, now: clock.now(), appliedBy: 'system (start-up)' });

  const app = createApp({ config, db: database.db, logger, rules, tracker, clock });
  server.off('request', answerStarting);
  server.on('request', app);
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url: `${url}/graphql`, database: database.kind }, 'envcredit listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      // Runs in the background end at their next batch as FAILED, rather than stay RUNNING until the next start.
      await tracker.close();
      if (ownsDatabase) await database.close();
      logger.info('envcredit stopped');
    })());
  return { url, port, server, database, rules, tracker, stop };
}
