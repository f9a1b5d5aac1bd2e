import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startService } from './service.ts';
import { seedDemoIfEmpty } from './demo/seed-on-start.ts';

/** `npm start`: validate configuration, migrate, seed the demo city on an empty dev database, serve. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`envcredit: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  const service = await startService({
    config,
    logger,
    beforeListen: (database, log, rules) =>
      config.seedDemoOnEmpty ? seedDemoIfEmpty(database.db, log, rules, config.defaultRuleSetId) : Promise.resolve(),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'draining in-flight requests');
      service.stop().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error) => {
  console.error('envcredit failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
