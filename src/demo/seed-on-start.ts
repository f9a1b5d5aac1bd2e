import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { beginPublicity, publishRun } from '../rating/lifecycle.ts';
import { parsePeriod } from '../rating/period.ts';
import { RunTracker, startRatingRun } from '../rating/runner.ts';
import type { RuleRegistry } from '../rules/index.ts';
import { isDatabaseEmpty, seedDemoCity } from './seed.ts';

export const DEMO_SEED = 220681;
/** The demo city's evidence runs to 2026-10-31, so its last full calendar year is 2025. */
export const DEMO_PERIOD = '2025';
const DEMO_ACTOR = 'seed-demo';

/**
 * Development convenience: an empty database gets the demo city and a published rating of it, so
 * the first query, lookup and public page show something real.
 */
export async function seedDemoIfEmpty(db: Db, logger: Logger, rules: RuleRegistry, defaultRuleSetId: string): Promise<void> {
  if (!(await isDatabaseEmpty(db))) return;
  const started = Date.now();
  const counts = await seedDemoCity(db, { seed: DEMO_SEED });
  logger.info({ counts, ms: Date.now() - started }, 'empty database: seeded the demo city (set SEED_DEMO=false to skip)');
  await publishDemoRating(db, logger, rules, defaultRuleSetId);
}

/**
 * Rates the demo city and publishes it. The publicity period is opened as if it had started
 * `publicity_days + 1` days ago, which only a demo may do: the events say so (actor seed-demo).
 */
export async function publishDemoRating(db: Db, logger: Logger, rules: RuleRegistry, ruleSetId: string): Promise<void> {
  const period = parsePeriod(DEMO_PERIOD);
  const ruleSet = rules.effectiveOn(ruleSetId, period.end);
  if (!ruleSet) {
    logger.warn({ ruleSetId }, 'demo city not rated: no rule version in force for the demo period');
    return;
  }
  const tracker = new RunTracker();
  const runId = await startRatingRun(
    { db, rules, tracker, logger },
    { ruleSetId: ruleSet.id, version: ruleSet.version, period, scope: { kind: 'ALL' }, mode: 'DRAFT', actor: DEMO_ACTOR },
  );
  await tracker.completion(runId);
  const days = ruleSet.file.evaluation.publicity_days ?? 7;
  await beginPublicity(db, rules, runId, DEMO_ACTOR, new Date(Date.now() - (days + 1) * 86_400_000));
  const published = await publishRun(db, rules, runId, DEMO_ACTOR);
  logger.info({ runId, published, ruleSet: `${ruleSet.id}@${ruleSet.version}` }, 'demo city rated and published');
}
