import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { Principal } from '../auth/principal.ts';
import type { Clock } from '../clock.ts';
import type { RunTracker } from '../rating/runner.ts';
import type { RuleRegistry } from '../rules/index.ts';

/** Per-request context every resolver receives. */
export interface Context {
  db: Db;
  config: Config;
  logger: Logger;
  requestId: string;
  /** The rule versions loaded from RULES_DIR at start-up (validated, compiled). */
  rules: RuleRegistry;
  /** Rating runs this process is executing. */
  tracker: RunTracker;
  clock: Clock;
  /** Null for anonymous (public) requests. */
  principal: Principal | null;
}
