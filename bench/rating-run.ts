/**
 * Row b's rating run, in a process of its own (spawned by bench/run.ts), so its peak RSS is the run's
 * and not the bench's (which holds the generated data of row a). Prints one JSON line:
 * { runId, runMs, maxRssBytes, processCpuMs, machineCpuMs } (CPU over the run: bench/cpu.ts). Arguments: DATABASE_URL in the environment, `--profile-run FILE`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { connectDatabase } from '../src/db/connect.ts';
import { createLogger } from '../src/logger.ts';
import { parsePeriod } from '../src/rating/period.ts';
import { createEvaluator } from '../src/rating/evaluation-pool.ts';
import { loadConfig } from '../src/config.ts';
import { RunTracker, startRatingRun } from '../src/rating/runner.ts';
import { loadRuleRegistry } from '../src/rules/index.ts';
import { startCpuSpan } from './cpu.ts';

const profileArg = process.argv.indexOf('--profile-run');
const profileFile = profileArg > 0 ? process.argv[profileArg + 1] : undefined;

// The service's pool size, so the run sees what it sees in production.
const handle = await connectDatabase({ databaseUrl: process.env.DATABASE_URL! });
try {
  const registry = loadRuleRegistry(process.env.RULES_DIR ?? './rules');
  const period = parsePeriod('2025');
  const ruleSet = registry.effectiveOn('linjiang', period.end)!;
  // Only what the run reads; the bench runs under NODE_ENV=production, which would also demand a token key.
  const config = loadConfig({ RATING_WORKERS: process.env.RATING_WORKERS });
  const tracker = new RunTracker({ pool: handle.pool!, evaluator: createEvaluator(config.ratingWorkers) });
  const profiler = profileFile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const started = Date.now();
  const endCpuSpan = startCpuSpan();
  const runId = await startRatingRun(
    { db: handle.db, rules: registry, tracker, logger: createLogger({ logLevel: 'silent' }) },
    { ruleSetId: ruleSet.id, version: ruleSet.version, period, scope: { kind: 'ALL' }, mode: 'DRAFT', actor: 'bench' },
  );
  await tracker.completion(runId);
  const runMs = Date.now() - started;
  const cpu = endCpuSpan();
  await tracker.close();
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile!, JSON.stringify(profile));
    profiler.disconnect();
  }
  // resourceUsage().maxRSS is in KiB and covers the whole life of this process.
  console.log(JSON.stringify({ runId, runMs, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...cpu }));
} finally {
  await handle.close();
}
