import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { Principal } from '../auth/principal.ts';

/** Per-request context every resolver receives. */
export interface Context {
  db: Db;
  config: Config;
  logger: Logger;
  requestId: string;
  /** Null for anonymous (public) requests. */
  principal: Principal | null;
}
