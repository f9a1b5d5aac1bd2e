import { createHash } from 'node:crypto';
import type pg from 'pg';
import { chinaDay } from '../china-day.ts';
import type { Db, RunMode } from '../db/database.ts';
import { appError } from '../errors.ts';
import { loadEvidenceSets, type EvidenceSet } from '../evidence/evidence-set.ts';
import type { Logger } from '../logger.ts';
import type { CompiledRuleSet, RuleRegistry } from '../rules/index.ts';
import type { RatingPeriod } from './period.ts';
import { appendRunEvent, copyRatingsInto, countScope, createRun, findRuns, insertRatings, scopeCodes, type ExistedDuring, type RatingWriter, type RunScope } from './run-store.ts';
import { pinRuleVersion } from './rule-pins.ts';
import { RunLeases } from './run-leases.ts';
import { inlineEvaluator, type BatchEvaluator } from './evaluation-pool.ts';
import { evidenceStandingAt } from '../registers/standing.ts';

/** Enterprises evaluated and written per round trip: bounds memory whatever the population. */
export const RUN_BATCH_SIZE = 500;

export interface RunProgress {
  done: number;
  total: number;
  /** Aborted when the service stops: the run ends at its next batch boundary as FAILED. */
  signal: AbortSignal;
}

/** Why a run stopped when the service stopping aborted it (recorded in its FAILED event). */
export const STOPPED_BY_SHUTDOWN = 'interrupted: the service stopped during the run';

export { rateEnterprise, sha256 } from './rate-enterprise.ts';

/**
 * Keeps track of the runs this process is executing: progress for `ratingRun { progress }`, the
 * completion promise (tests and the CLI wait on it), and — on PostgreSQL — each run's lease, so other
 * instances can tell a live run from one whose process died (see RunLeases).
 */
export class RunTracker {
  private readonly progress = new Map<number, RunProgress>();
  private readonly completions = new Map<number, Promise<void>>();
  private readonly aborts = new Map<number, AbortController>();

  private readonly leases: RunLeases | undefined;
  /** Where this process rates its runs' batches: worker threads, or by default this thread. */
  readonly evaluator: BatchEvaluator;
  /** How batches of ratings are appended: COPY on PostgreSQL, INSERT otherwise (PGlite). */
  readonly writeRatings: RatingWriter;

  /**
   * `pool` (PostgreSQL): runs hold leases on it and append their ratings with COPY. Without it
   * (PGlite, some tests) there are no leases and ratings are INSERTed through the Kysely database.
   */
  constructor(options: { pool?: pg.Pool | undefined; leases?: RunLeases | undefined; evaluator?: BatchEvaluator | undefined } = {}) {
    this.leases = options.leases ?? (options.pool ? new RunLeases(options.pool) : undefined);
    this.evaluator = options.evaluator ?? inlineEvaluator;
    this.writeRatings = options.pool ? copyRatingsInto(options.pool) : insertRatings;
  }

  track(runId: number, total: number, work: (progress: RunProgress) => Promise<void>): Promise<void> {
    const abort = new AbortController();
    const progress: RunProgress = { done: 0, total, signal: abort.signal };
    this.progress.set(runId, progress);
    this.aborts.set(runId, abort);
    const completion = (async () => {
      // Without its lease the run does not start; `work` still runs, sees the abort and records FAILED.
      const release = await this.leases?.hold(runId).catch((error: Error) => {
        abort.abort(new Error(`the run could not take its lease: ${error.message}`));
        return undefined;
      });
      try {
        await work(progress);
      } finally {
        await release?.();
      }
    })().finally(() => {
      this.progress.delete(runId);
      this.aborts.delete(runId);
    });
    this.completions.set(runId, completion);
    completion.catch(() => {}).finally(() => this.completions.delete(runId));
    return completion;
  }

  /** Asks every run of this process to stop at its next batch, and waits until each has recorded how it ended. */
  async stopAll(): Promise<void> {
    for (const abort of this.aborts.values()) abort.abort(new Error(STOPPED_BY_SHUTDOWN));
    await Promise.allSettled([...this.completions.values()]);
  }

  /** On shutdown: stops the runs (see stopAll), then the rating workers. */
  async close(): Promise<void> {
    await this.stopAll();
    await this.evaluator.close();
  }

  /** True when a live session elsewhere (another instance, or the CLI) holds the run's lease. */
  async isHeldElsewhere(runId: number): Promise<boolean> {
    return this.leases ? this.leases.isHeldElsewhere(runId) : false;
  }

  progressOf(runId: number): RunProgress | undefined {
    return this.progress.get(runId);
  }

  completion(runId: number): Promise<void> {
    return this.completions.get(runId) ?? Promise.resolve();
  }

  isActive(runId: number): boolean {
    return this.progress.has(runId);
  }
}

export interface StartRunRequest {
  ruleSetId: string;
  version: string;
  period: RatingPeriod;
  scope: RunScope;
  mode: Exclude<RunMode, 'DYNAMIC'>;
  actor: string;
  /** The service's clock (tests move it): a draft may only rate a period that has ended by then. */
  now?: Date;
}

export interface RunServices {
  db: Db;
  rules: RuleRegistry;
  tracker: RunTracker;
  logger: Logger;
}

export function requireRuleVersion(rules: RuleRegistry, ruleSetId: string, version: string): CompiledRuleSet {
  const ruleSet = rules.get(ruleSetId, version);
  if (!ruleSet) {
    const known = rules.versions(ruleSetId);
    throw appError('NOT_FOUND', `rule set ${ruleSetId} version ${version} is not loaded`, {
      field: known.length ? 'version' : 'ruleSetId',
      expected: known.length ? `one of ${known.join(', ')}` : `one of ${rules.setIds().join(', ')}`,
    });
  }
  return ruleSet;
}

/**
 * The period a run may rate: of the kind its rule file rates (a calendar year `YYYY`, or the twelve
 * months ending `YYYY-MM`), and for a draft — the run that can be published — one that has ended,
 * since a rating speaks for a whole period (the national measures rate the prior calendar year).
 * A simulation may look at a period still running.
 */
export function requireRatablePeriod(rules: CompiledRuleSet, period: RatingPeriod, mode: StartRunRequest['mode'], now: Date): void {
  const yearly = /^\d{4}$/.test(period.label);
  if (rules.file.evaluation.period === 'CALENDAR_YEAR' && !yearly) {
    throw appError('VALIDATION_FAILED', `period: ${rules.id} ${rules.version} rates calendar years, not ${period.label}`, { field: 'input.period', expected: 'YYYY (a calendar year)' });
  }
  if (rules.file.evaluation.period === 'ROLLING_12_MONTHS' && yearly) {
    throw appError('VALIDATION_FAILED', `period: ${rules.id} ${rules.version} rates the twelve months ending a month, not the year ${period.label}`, { field: 'input.period', expected: 'YYYY-MM (the 12 months ending that month)' });
  }
  const today = chinaDay(now);
  if (mode === 'DRAFT' && period.end >= today) {
    throw appError('VALIDATION_FAILED', `period: ${period.label} runs until ${period.end}; a draft rates a period that has ended (a simulation may rate it now)`, {
      field: 'input.period',
      expected: `a period ending before ${today}`,
    });
  }
}

/**
 * A draft — the run that can be published — rates a period under the version of its rule set in force
 * at the period's end (docs/RULES.md: 2025 is rated under 2025.1 even once 2026.1 is in force), never a
 * later or earlier one; a simulation may try any version on any period.
 */
export function requireVersionInForce(registry: RuleRegistry, rules: CompiledRuleSet, period: RatingPeriod): void {
  const inForce = registry.effectiveOn(rules.id, period.end);
  if (inForce?.version === rules.version) return;
  throw appError(
    'VALIDATION_FAILED',
    `version: ${rules.id} ${rules.version} is not the version in force at the end of ${period.label} (${period.end}); a draft rates a period under the rules in force for it (a simulation may try another version)`,
    { field: 'input.version', expected: inForce ? inForce.version : `a version of ${rules.id} in force on ${period.end}` },
  );
}

/**
 * Creates a run and executes it in the background. Returns the run id at once; the run moves from
 * RUNNING to DRAFTED (with counts, timings and the input fingerprint) or FAILED.
 */
export async function startRatingRun(services: RunServices, request: StartRunRequest): Promise<number> {
  const rules = requireRuleVersion(services.rules, request.ruleSetId, request.version);
  requireRatablePeriod(rules, request.period, request.mode, request.now ?? new Date());
  if (request.mode === 'DRAFT') requireVersionInForce(services.rules, rules, request.period);
  await pinRuleVersion(services.db, rules, request.actor);
  const total = await countScope(services.db, request.scope, request.period);
  if (total === 0) throw appError('VALIDATION_FAILED', `scope: no enterprise in this scope was registered and open during ${request.period.label}`, { field: 'input.scope' });
  const runId = await createRun(services.db, {
    ruleSetId: rules.id,
    ruleVersion: rules.version,
    ruleHash: rules.contentHash,
    period: request.period.label,
    periodStart: request.period.start,
    periodEnd: request.period.end,
    mode: request.mode,
    scope: request.scope,
    startedBy: request.actor,
  });
  const [run] = await findRuns(services.db, [runId]);
  void services.tracker
    .track(runId, total, (progress) => executeRun(services, rules, runId, request, run!.started_at, progress))
    .catch(() => {});
  return runId;
}

async function executeRun(
  services: RunServices,
  rules: CompiledRuleSet,
  runId: number,
  request: StartRunRequest,
  knownAt: Date,
  progress: RunProgress,
): Promise<void> {
  const started = Date.now();
  const fingerprint = createHash('sha256');
  const levels: Record<string, number> = {};
  const timings = { evaluateMs: 0, waitLoadMs: 0, waitInsertMs: 0 };
  const evaluator = services.tracker.evaluator;
  const batches = scopeBatches(services.db, request.scope, RUN_BATCH_SIZE, BATCHES_PER_CODE_PAGE, { ...request.period, registeredBy: knownAt });
  // Evidence as recorded when the run started: records added meanwhile wait for the next run.
  const loadBatch = async () => {
    const { value: codes = [] } = await batches.next();
    if (codes.length === 0) return { codes, sets: new Map<string, EvidenceSet>() };
    const standing = evidenceStandingAt(services.db, codes, knownAt);
    return { codes, sets: await loadEvidenceSets(services.db, codes, { knownAt, standing, datedBy: request.period.end }) };
  };
  // A pipeline: the next batch loads while earlier ones are rated (in worker threads when there is
  // a pool) and written. Batches are folded into the fingerprint and written strictly in order, and
  // at most `evaluator.parallelism + 1` are in memory at once.
  let pendingInsert: Promise<void> = Promise.resolve();
  const inFlight: Promise<void>[] = [];
  try {
    let next = loadBatch();
    for (;;) {
      if (progress.signal.aborted) throw progress.signal.reason instanceof Error ? progress.signal.reason : new Error(STOPPED_BY_SHUTDOWN);
      const t0 = Date.now();
      const { codes, sets } = await next;
      timings.waitLoadMs += Date.now() - t0;
      if (codes.length === 0) break;
      next = loadBatch();
      next.catch(() => {}); // surfaced when awaited above
      const rated = evaluator.rate(rules, codes.map((code) => sets.get(code)!), request.period);
      const previous = pendingInsert;
      pendingInsert = (async () => {
        const { rows, ms } = await rated;
        timings.evaluateMs += Math.round(ms);
        await previous; // in order: the fingerprint is over credit-code order
        const stored = rows.map((row) => {
          fingerprint.update(`${row.creditCode}:${row.evidenceFingerprint}\n`);
          levels[row.level] = (levels[row.level] ?? 0) + 1;
          return { ...row, runId, evidenceKnownAt: knownAt };
        });
        await services.tracker.writeRatings(services.db, stored);
        progress.done += stored.length;
      })();
      pendingInsert.catch(() => {}); // surfaced when awaited below
      inFlight.push(pendingInsert);
      if (inFlight.length > evaluator.parallelism) {
        const t2 = Date.now();
        await inFlight.shift();
        timings.waitInsertMs += Date.now() - t2;
      }
    }
    await pendingInsert;
    await appendRunEvent(services.db, runId, 'DRAFTED', request.actor, {
      rated: progress.done,
      levels,
      inputFingerprint: `sha256:${fingerprint.digest('hex')}`,
      knownAt: knownAt.toISOString(),
      timings: { totalMs: Date.now() - started, ...timings },
    });
    services.logger.info({ runId, rated: progress.done, ms: Date.now() - started }, 'rating run drafted');
  } catch (error) {
    await pendingInsert.catch(() => {}); // nothing of this run is written after its FAILED event
    const stopped = progress.signal.aborted && (error as Error).message === STOPPED_BY_SHUTDOWN;
    if (stopped) services.logger.warn({ runId, rated: progress.done }, 'rating run stopped with the service');
    else services.logger.error({ err: error, runId }, 'rating run failed');
    await appendRunEvent(services.db, runId, 'FAILED', progress.signal.aborted ? 'system' : request.actor, { error: (error as Error).message, rated: progress.done }).catch(() => {});
    throw error;
  }
}

/** Batches of a run are read this many at a time from the scope's codes (one query per page, not per batch). */
const BATCHES_PER_CODE_PAGE = 10;

/**
 * The scope's credit codes in order, `batchSize` at a time. Pages of codes are read ahead, so a
 * batch's evidence queries go out at once instead of after a round trip for its codes; only a page
 * of codes (not the population) is held.
 */
export async function* scopeBatches(db: Db, scope: RunScope, batchSize = RUN_BATCH_SIZE, batchesPerPage = BATCHES_PER_CODE_PAGE, during?: ExistedDuring): AsyncGenerator<string[], void> {
  const pageSize = batchSize * batchesPerPage;
  let page = scopeCodes(db, scope, null, pageSize, during);
  for (;;) {
    const codes = await page;
    if (codes.length === 0) return;
    page = codes.length < pageSize ? Promise.resolve([]) : scopeCodes(db, scope, codes[codes.length - 1]!, pageSize, during);
    page.catch(() => {}); // surfaced when awaited
    for (let i = 0; i < codes.length; i += batchSize) yield codes.slice(i, i + batchSize);
  }
}

/** At start-up: runs left RUNNING by a process that died are marked FAILED (their partial ratings never count). */
export async function failInterruptedRuns(db: Db, tracker: RunTracker): Promise<number[]> {
  const running = await db
    .selectFrom('rating_run_events as e')
    .select('e.run_id')
    .where('e.status', '=', 'RUNNING')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('rating_run_events as later').select('later.id').whereRef('later.run_id', '=', 'e.run_id').whereRef('later.id', '>', 'e.id'))),
    )
    .execute();
  const orphaned: number[] = [];
  for (const id of running.map((r) => Number(r.run_id))) {
    if (tracker.isActive(id) || (await tracker.isHeldElsewhere(id))) continue;
    await appendRunEvent(db, id, 'FAILED', 'system', { error: 'interrupted: the process stopped during the run' });
    orphaned.push(id);
  }
  return orphaned;
}
