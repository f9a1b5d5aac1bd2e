import { sql } from 'kysely';
import type pg from 'pg';
import { copyLine, copyText, openCopyIn, writeChunk } from '../db/copy-text.ts';
import { waitForEvidenceWrites } from '../db/locks.ts';
import type { Db, RunMode, RunStatus } from '../db/database.ts';
import type { Page } from '../graphql/pagination.ts';

/** Which enterprises a run rates. */
export type RunScope =
  | { kind: 'ALL' }
  | { kind: 'CODES'; codes: string[] }
  | { kind: 'REGION'; region: string }
  | { kind: 'INDUSTRY'; industry: string };

export interface NewRun {
  ruleSetId: string;
  ruleVersion: string;
  ruleHash: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  mode: RunMode;
  scope: RunScope;
  startedBy: string;
}

export interface RunRow {
  id: number;
  rule_set_id: string;
  rule_version: string;
  rule_hash: string;
  period: string;
  period_start: string;
  period_end: string;
  mode: RunMode;
  scope: RunScope;
  started_by: string;
  started_at: Date;
  status: RunStatus;
  status_at: Date;
  status_detail: Record<string, unknown>;
}

export interface NewRating {
  runId: number;
  creditCode: string;
  score: number;
  level: string;
  vetoes: string[];
  result: string;
  /** `result` in UTF-8, when the rater encoded it already (rateEnterprise does, to hash it). */
  resultBytes?: Uint8Array;
  resultHash: string;
  evidenceFingerprint: string;
  evidenceKnownAt: Date;
  supersedesId?: number | null;
}

/**
 * Creates the run and its RUNNING event in one transaction (the caller's, if it is in one). A run
 * reads evidence as recorded by its start (`started_at`, the transaction's start), so a batch or
 * annual run first waits for every evidence write in progress (src/db/locks.ts): a row is then
 * either committed before the run reads and recorded before it started, or recorded after
 * (migration 0009), and a replay of the run sees exactly what the run saw. A dynamic adjustment
 * reads at its own instant and does not wait.
 */
export async function createRun(db: Db, run: NewRun): Promise<number> {
  const create = async (trx: Db) => {
    if (run.mode !== 'DYNAMIC') await waitForEvidenceWrites(trx);
    const { id } = await trx
      .insertInto('rating_runs')
      .values({
        rule_set_id: run.ruleSetId,
        rule_version: run.ruleVersion,
        rule_hash: run.ruleHash,
        period: run.period,
        period_start: run.periodStart,
        period_end: run.periodEnd,
        mode: run.mode,
        scope: JSON.stringify(run.scope),
        started_by: run.startedBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('rating_run_events').values({ run_id: id, status: 'RUNNING', actor: run.startedBy }).execute();
    return id;
  };
  return db.isTransaction ? create(db) : db.transaction().execute(create);
}

export async function appendRunEvent(db: Db, runId: number, status: RunStatus, actor: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.insertInto('rating_run_events').values({ run_id: runId, status, actor, detail: JSON.stringify(detail) }).execute();
}

/** Runs with their current status (the latest event). */
export async function findRuns(db: Db, ids: readonly number[]): Promise<RunRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('rating_runs as r')
    .innerJoin(
      (eb) =>
        eb
          .selectFrom('rating_run_events')
          .distinctOn('run_id')
          .select(['run_id', 'status', 'at', 'detail'])
          .orderBy('run_id')
          .orderBy('id', 'desc')
          .as('e'),
      (join) => join.onRef('e.run_id', '=', 'r.id'),
    )
    .selectAll('r')
    .select(['e.status as status', 'e.at as status_at', 'e.detail as status_detail'])
    .where('r.id', 'in', [...ids])
    .execute();
  return rows as unknown as RunRow[];
}

export async function findRun(db: Db, id: number): Promise<RunRow | undefined> {
  return (await findRuns(db, [id]))[0];
}

export async function runHistory(db: Db, runId: number) {
  return db.selectFrom('rating_run_events').selectAll().where('run_id', '=', runId).orderBy('id').execute();
}

/** Dates an enterprise must have existed within to be rated (a run's period). */
export interface ExistedDuring {
  start: string;
  end: string;
  /**
   * A run's start: each enterprise as registered by then (its latest revision recorded at or before
   * it), the facts the run rates it on. One with no revision recorded by then is not in the scope.
   */
  registeredBy?: Date;
}

/**
 * The registration a scope is decided on, one row per enterprise: its latest revision recorded by
 * `asOf`, or its latest revision now without one. Read per enterprise through the
 * (credit_code, revision) index, as `enterprise_current` does (migration 0008), so a page of codes
 * costs the page whatever the population.
 */
function registrations(db: Db, asOf: Date | undefined) {
  if (!asOf) return db.selectFrom('enterprise_current').select(['credit_code', 'region', 'industry', 'registered_on', 'closed_on']);
  return db
    .selectFrom('enterprises as e')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('enterprise_revisions as latest')
          .select(['latest.region', 'latest.industry', 'latest.registered_on', 'latest.closed_on'])
          .whereRef('latest.credit_code', '=', 'e.credit_code')
          .where('latest.recorded_at', '<=', asOf)
          .orderBy('latest.revision', 'desc')
          .limit(1)
          .as('r'),
      (join) => join.onTrue(),
    )
    .select(['e.credit_code', 'r.region', 'r.industry', 'r.registered_on', 'r.closed_on']);
}

/**
 * The enterprises of a scope as a query: registrations (as of the run's start, given one) matching
 * the scope and, given a period, existing at some point in it (not closed before it began, not
 * registered after it ended). A run decides membership on the same facts it rates, so a revision
 * recorded while it runs neither adds an enterprise to it nor drops one, and its replay agrees.
 */
function scopeQuery(db: Db, scope: RunScope, during: ExistedDuring | undefined) {
  let query = db.selectFrom(registrations(db, during?.registeredBy).as('registration'));
  if (scope.kind === 'CODES') query = query.where('credit_code', 'in', scope.codes.length ? scope.codes : ['']);
  if (scope.kind === 'REGION') query = query.where('region', '=', scope.region);
  if (scope.kind === 'INDUSTRY') query = query.where('industry', 'like', `${scope.industry}%`);
  if (during) {
    query = query
      .where((eb) => eb.or([eb('closed_on', 'is', null), eb('closed_on', '>=', during.start)]))
      .where((eb) => eb.or([eb('registered_on', 'is', null), eb('registered_on', '<=', during.end)]));
  }
  return query;
}

/** Credit codes in a scope, in order, one page at a time (runs stream; they never hold the population). */
export async function scopeCodes(db: Db, scope: RunScope, after: string | null, limit: number, during?: ExistedDuring): Promise<string[]> {
  let query = scopeQuery(db, scope, during).select('credit_code').orderBy('credit_code').limit(limit);
  if (after) query = query.where('credit_code', '>', after);
  return (await query.execute()).map((r) => r.credit_code.trim());
}

export async function countScope(db: Db, scope: RunScope, during?: ExistedDuring): Promise<number> {
  const query = scopeQuery(db, scope, during).select(sql<string>`count(*)`.as('n'));
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertRatings(db: Db, ratings: NewRating[]): Promise<void> {
  if (ratings.length === 0) return;
  await db
    .insertInto('ratings')
    .values(
      ratings.map((r) => ({
        run_id: r.runId,
        credit_code: r.creditCode,
        score: String(r.score),
        level: r.level,
        vetoes: r.vetoes,
        result: r.result,
        result_hash: r.resultHash,
        evidence_fingerprint: r.evidenceFingerprint,
        evidence_known_at: r.evidenceKnownAt,
        supersedes_id: r.supersedesId ?? null,
      })),
    )
    .execute();
}

/** How a run appends its batches of ratings. */
export type RatingWriter = (db: Db, ratings: NewRating[]) => Promise<void>;

const RATING_COLUMNS = ['run_id', 'credit_code', 'score', 'level', 'vetoes', 'result', 'result_hash', 'evidence_fingerprint', 'evidence_known_at', 'supersedes_id'];

/**
 * On PostgreSQL a run appends through COPY: with bind parameters, the driver spends longer encoding
 * a batch's results (≈5 KB each) into its growing message buffer than the server spends storing them.
 * Each batch is one COPY statement, so a batch lands whole or not at all, as with the INSERT.
 * A result goes out as the bytes rateEnterprise hashed, not encoded again with the rest of its line.
 */
export function copyRatingsInto(pool: pg.Pool): RatingWriter {
  return async (_db, ratings) => {
    if (ratings.length === 0) return;
    const chunk = Buffer.concat(ratings.flatMap(ratingCopyLine));
    const client = await pool.connect();
    let failure: Error | undefined;
    try {
      const copy = openCopyIn(client, 'ratings', RATING_COLUMNS);
      await writeChunk(copy, chunk);
      copy.stream.end();
      await copy.done;
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      client.release(failure); // a connection that failed mid-COPY is closed, not reused
    }
  };
}

/** One rating's COPY line (columns as RATING_COLUMNS) in three pieces: the fields before `result`, its bytes, the rest. */
function ratingCopyLine(r: NewRating): Buffer[] {
  const before = copyLine([r.runId, r.creditCode, r.score, r.level, r.vetoes]).slice(0, -1);
  const after = copyLine([r.resultHash, r.evidenceFingerprint, r.evidenceKnownAt.toISOString(), r.supersedesId ?? null]).slice(0, -1);
  return [Buffer.from(`${before}\t`), copyBytes(r.resultBytes, r.result), Buffer.from(`\t${after}\n`)];
}

/** COPY text of a string given also as its UTF-8 bytes: the bytes themselves when nothing in them needs escaping. */
function copyBytes(bytes: Uint8Array | undefined, text: string): Buffer {
  if (bytes === undefined) return Buffer.from(copyText(text));
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const needsEscape = view.includes(0x5c) || view.includes(0x09) || view.includes(0x0a) || view.includes(0x0d); // \ \t \n \r
  return needsEscape ? Buffer.from(copyText(text)) : view;
}

export async function countRatings(db: Db, runId: number): Promise<number> {
  const row = await db.selectFrom('ratings').select(sql<string>`count(*)`.as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface RatingRow {
  id: number;
  run_id: number;
  credit_code: string;
  score: string;
  level: string;
  vetoes: string[];
  result: string;
  result_hash: string;
  evidence_fingerprint: string;
  evidence_known_at: Date;
  supersedes_id: number | null;
  created_at: Date;
}

/** The ratings that stand in a run: one per enterprise, the latest where an objection re-rated it. */
export async function currentRunRatings(db: Db, runId: number, page: Page<string>, codes?: string[]): Promise<RatingRow[]> {
  let query = db
    .selectFrom('ratings as r')
    .selectAll('r')
    .where('r.run_id', '=', runId)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('ratings as later').select('later.id').whereRef('later.supersedes_id', '=', 'r.id'))))
    .orderBy('r.credit_code')
    .limit(page.limit + 1);
  if (page.after) query = query.where('r.credit_code', '>', page.after);
  if (codes) query = query.where('r.credit_code', 'in', codes.length ? codes : ['']);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, credit_code: r.credit_code.trim() })) as RatingRow[];
}
