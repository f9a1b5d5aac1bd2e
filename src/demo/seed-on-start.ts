import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { isDatabaseEmpty, seedDemoCity } from './seed.ts';

export const DEMO_SEED = 220681;

/** Development convenience: an empty database gets the demo city so the first query shows something. */
export async function seedDemoIfEmpty(db: Db, logger: Logger): Promise<void> {
  if (!(await isDatabaseEmpty(db))) return;
  const started = Date.now();
  const counts = await seedDemoCity(db, { seed: DEMO_SEED });
  logger.info({ counts, ms: Date.now() - started }, 'empty database: seeded the demo city (set SEED_DEMO=false to skip)');
}
