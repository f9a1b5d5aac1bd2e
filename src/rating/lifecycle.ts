import { sql, type RawBuilder, type Transaction } from 'kysely';
import { EVIDENCE_TABLES, type Database, type Db, type EvidenceKind, type RunStatus } from '../db/database.ts';
import { lockEnterpriseForEffect, lockEvidenceTablesForBulkWrite, waitForBulkEvidenceWrites } from '../db/locks.ts';
import { databaseNow } from '../db/database-clock.ts';
import { appError, notFound } from '../errors.ts';
import { DATED_ON_SQL, loadEvidenceSets } from '../evidence/evidence-set.ts';
import type { RuleRegistry } from '../rules/index.ts';
import { LEVELS } from '../rules/types.ts';
import { recordRatingProposals } from '../registers/store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';
import { parsePeriod } from './period.ts';
import { rateEnterprise, requireRuleVersion, RUN_BATCH_SIZE } from './runner.ts';
import { appendRunEvent, currentRunRatings, findRun, insertRatings, type RunRow } from './run-store.ts';
import type { Page } from '../graphql/pagination.ts';

/**
 * The rating lifecycle: DRAFTED → PUBLICITY → PUBLISHED, or WITHDRAWN from DRAFTED or PUBLICITY.
 * Every transition is an appended event naming who made it; transitions of one run are serialised
 * by an advisory lock, and publishing also locks the rule set and period so two runs cannot
 * publish over each other.
 */
const NEXT: Record<RunStatus, RunStatus[]> = {
  RUNNING: ['DRAFTED', 'FAILED'],
  DRAFTED: ['PUBLICITY', 'WITHDRAWN'],
  PUBLICITY: ['PUBLISHED', 'WITHDRAWN'],
  FAILED: [],
  PUBLISHED: [],
  WITHDRAWN: [],
};

async function lockRun(trx: Transaction<Database>, runId: number, field = 'runId'): Promise<RunRow> {
  await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:run:${runId}`}))`.execute(trx);
  const run = await findRun(trx, runId);
  if (!run) throw notFound(`rating run ${runId}`, field);
  return run;
}

function assertTransition(run: RunRow, to: RunStatus): void {
  if (!NEXT[run.status].includes(to)) {
    throw appError('CONFLICT', `run ${run.id} is ${run.status}; it cannot become ${to}`, {
      field: 'runId',
      status: run.status,
      expected: `a run in ${Object.entries(NEXT).filter(([, next]) => next.includes(to)).map(([from]) => from).join(' or ')}`,
    });
  }
  if (run.mode !== 'DRAFT' && (to === 'PUBLICITY' || to === 'PUBLISHED')) {
    throw appError('CONFLICT', `run ${run.id} is a ${run.mode} run; only DRAFT runs are published`, { field: 'runId' });
  }
}

const publicityEndsAt = (run: RunRow): Date | null =>
  run.status === 'PUBLICITY' && typeof run.status_detail.endsAt === 'string' ? new Date(run.status_detail.endsAt) : null;

/** Re-rated enterprises a PUBLISHED event names; `reratedAtPublicationCount` counts them all. */
const RERATED_LISTED = 1000;

/**
 * A run goes public and takes effect only under the version in force at its period's end (as a draft
 * starts only under it, requireVersionInForce): a run drafted before that rule, or before a version
 * with an earlier effective date was loaded, is withdrawn and drafted again.
 */
function assertVersionInForce(rules: RuleRegistry, run: RunRow): void {
  const inForce = rules.effectiveOn(run.rule_set_id, String(run.period_end));
  if (inForce?.version === run.rule_version) return;
  throw appError('CONFLICT', `run ${run.id} rates ${run.period} under ${run.rule_set_id} ${run.rule_version}, which is not the version in force at the period's end (${inForce?.version ?? 'none'}); withdraw it and draft the period again`, {
    field: 'runId',
    expected: inForce ? `a run under ${run.rule_set_id} ${inForce.version}` : `a version of ${run.rule_set_id} in force on ${String(run.period_end)}`,
  });
}

export async function beginPublicity(db: Db, rules: RuleRegistry, runId: number, actor: string, now = new Date()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    assertTransition(run, 'PUBLICITY');
    const ruleSet = requireRuleVersion(rules, run.rule_set_id, run.rule_version);
    assertVersionInForce(rules, run);
    const days = ruleSet.file.evaluation.publicity_days ?? 7;
    const endsAt = new Date(now.getTime() + days * 86_400_000);
    await appendRunEvent(trx, runId, 'PUBLICITY', actor, { days, startsAt: now.toISOString(), endsAt: endsAt.toISOString() });
  });
}

export async function withdrawRun(db: Db, runId: number, reason: string, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    assertTransition(run, 'WITHDRAWN');
    await appendRunEvent(trx, runId, 'WITHDRAWN', actor, { reason });
  });
}

async function openObjectionCount(db: Db, runId: number): Promise<number> {
  const row = await db
    .selectFrom('objections as o')
    .leftJoin('objection_decisions as d', 'd.objection_id', 'o.id')
    .select(sql<string>`count(*)`.as('n'))
    .where('o.run_id', '=', runId)
    .where('d.id', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Makes the run's ratings the effective ones from `now`. The ratings they replace are not edited:
 * their validity ends where the new effects begin. All or nothing, in one transaction.
 */
export async function publishRun(db: Db, rules: RuleRegistry, runId: number, actor: string, now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    assertTransition(run, 'PUBLISHED');
    assertVersionInForce(rules, run);
    await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:publish:${run.rule_set_id}:${run.period}`}))`.execute(trx);
    const endsAt = publicityEndsAt(run);
    if (endsAt && now < endsAt) {
      throw appError('CONFLICT', `the publicity period of run ${runId} lasts until ${endsAt.toISOString()}`, { field: 'runId', publicityEndsAt: endsAt.toISOString() });
    }
    const open = await openObjectionCount(trx, runId);
    if (open > 0) {
      throw appError('CONFLICT', `run ${runId} has ${open} open objection(s); decide them before publishing (ratingRun { objections(openOnly: true) } lists them)`, { field: 'runId', openObjections: open });
    }
    // Evidence writes wait until the publication commits: a withdrawal during it is then either seen
    // by the re-rate below or, once committed after it, corrects the published rating (its hook).
    await lockEvidenceTablesForBulkWrite(trx);
    const rerated = await rerateWhereEvidenceChanged(trx, rules, run, now);
    // An enterprise whose rating in force is of a later period keeps it when that rating is a later
    // annual one, or a dynamic one at least as severe: publishing an older period never replaces a
    // newer verdict. A milder dynamic rating gives way: an adjustment only ever lowers the level, and
    // its twelve months may leave out the offences of the year being published (a small incident in
    // February must not buy the enterprise out of last year's RED). Kept ratings stay in the run,
    // unpublished, and propose nothing. Only the latest effect counts (the rating in force, or one
    // that took effect while this publication waited for its locks): a later rating since corrected
    // away (its record withdrawn) no longer stands.
    const inserted = await sql<{ rating_id: string }>`
      insert into rating_effects (credit_code, rating_id, effective_from, cause, decided_by)
      select r.credit_code, r.id, ${now}, 'PUBLICATION', ${actor}
      from ratings r
      left join lateral (
        select erun.period_end, erun.mode, er.level from rating_effects ef
        join ratings er on er.id = ef.rating_id join rating_runs erun on erun.id = er.run_id
        where ef.credit_code = r.credit_code
        order by ef.effective_from desc, ef.id desc
        limit 1) latest on true
      where r.run_id = ${runId} and not exists (select 1 from ratings later where later.supersedes_id = r.id)
        and (latest.period_end is null or latest.period_end <= ${run.period_end}::date
             or (latest.mode = 'DYNAMIC' and ${levelRankSql(sql.ref('latest.level'))} < ${levelRankSql(sql.ref('r.level'))}))
      returning rating_id`.execute(trx);
    const ratingIds = inserted.rows.map((row) => Number(row.rating_id));
    const current = await sql<{ n: string }>`
      select count(*) as n from ratings r where r.run_id = ${runId} and not exists (select 1 from ratings later where later.supersedes_id = r.id)`.execute(trx);
    const keptNewer = Number(current.rows[0]!.n) - ratingIds.length;
    await recordRatingProposals(trx, { ratingIds }, actor, now);
    // The codes re-rated are listed up to a bound (an import during publicity may touch most of the run); the count is whole.
    await appendRunEvent(trx, runId, 'PUBLISHED', actor, {
      published: ratingIds.length,
      keptNewerRatings: keptNewer,
      reratedAtPublication: rerated.slice(0, RERATED_LISTED),
      reratedAtPublicationCount: rerated.length,
      effectiveFrom: now.toISOString(),
    });
    return ratingIds.length;
  });
}

/** A level's severity in SQL, as `levelRank` orders them (GREEN lowest). */
function levelRankSql(level: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`array_position(${sql.val([...LEVELS])}::text[], ${level})`;
}

/**
 * A draft rates evidence as recorded when the run started; what changed since must not be overridden
 * by it: a record withdrawn or corrected (a penalty annulled on review during publicity), or a new
 * record dated within the period (a December penalty entered in February, whose dynamic adjustment
 * publication would otherwise replace with the draft's better level). Each enterprise of the run with
 * such a record is rated again inside the run on its evidence as it is now, and where the result
 * differs its rating is superseded, as an accepted objection does. Every such enterprise, not only
 * those whose rating lists the record: a rating also uses records it does not list (a veto on the
 * count of penalties, the leader's clean record). Corrections are found through a partial index on
 * their recorded_at (migration 0011); new records by reading each table once, which a publication
 * can afford. Returns the enterprises re-rated.
 */
async function rerateWhereEvidenceChanged(trx: Transaction<Database>, rules: RuleRegistry, run: RunRow, now: Date): Promise<string[]> {
  const changed = new Set<string>();
  for (const [kind, table] of Object.entries(EVIDENCE_TABLES) as [EvidenceKind, string][]) {
    const rows = await sql<{ credit_code: string }>`
      select trim(t.credit_code) as credit_code from ${sql.table(table)} t
      where t.supersedes_id is not null and t.recorded_at > ${run.started_at}
      union
      select trim(t.credit_code) from ${sql.table(table)} t
      where t.recorded_at > ${run.started_at} and ${DATED_ON_SQL[kind]} <= ${run.period_end}::date`.execute(trx);
    for (const row of rows.rows) changed.add(row.credit_code);
  }
  if (changed.size === 0) return [];
  const ruleSet = requireRuleVersion(rules, run.rule_set_id, run.rule_version);
  const period = parsePeriod(run.period);
  const evidenceAt = await databaseNow(trx); // the clock recorded_at is stamped by (src/db/database-clock.ts)
  const rerated: string[] = [];
  // In batches, as a run rates: an import during publicity may have touched most of the run.
  const sorted = [...changed].sort();
  for (let i = 0; i < sorted.length; i += RUN_BATCH_SIZE) {
    const batch = sorted.slice(i, i + RUN_BATCH_SIZE);
    const ratings = await currentRunRatings(trx, run.id, { limit: batch.length, after: null }, batch);
    if (ratings.length === 0) continue;
    const codes = ratings.map((r) => r.credit_code);
    const sets = await loadEvidenceSets(trx, codes, { knownAt: evidenceAt, standing: await evidenceStandingAt(trx, codes, evidenceAt), datedBy: period.end });
    const differing = ratings
      .map((r) => ({ stored: r, row: rateEnterprise(ruleSet, sets.get(r.credit_code)!, period).row }))
      .filter(({ stored, row }) => row.resultHash !== stored.result_hash);
    if (differing.length === 0) continue;
    await insertRatings(trx, differing.map(({ stored, row }) => ({ ...row, runId: run.id, evidenceKnownAt: evidenceAt, supersedesId: stored.id })));
    rerated.push(...differing.map(({ stored }) => stored.credit_code));
  }
  return rerated;
}

export interface ObjectionFiling {
  runId: number;
  creditCode: string;
  grounds: string;
  evidenceRefs: string[];
  filedBy: string;
}

/** An objection with the bureau's decision, if any. */
export interface ObjectionRow {
  id: number;
  run_id: number;
  credit_code: string;
  grounds: string;
  evidence_refs: string[];
  filed_by: string;
  filed_at: Date;
  decision: string | null;
  reason: string | null;
  rerating_id: number | null;
  decided_by: string | null;
  decided_at: Date | null;
}

/** Objections in id order (oldest first), `page.limit + 1` at most, by id, run, enterprise or still open. */
export async function findObjections(
  db: Db,
  filter: { id?: number; runId?: number; creditCode?: string; openOnly?: boolean },
  page: Page<number>,
): Promise<ObjectionRow[]> {
  let query = db
    .selectFrom('objections as o')
    .leftJoin('objection_decisions as d', 'd.objection_id', 'o.id')
    .select(['o.id', 'o.run_id', 'o.credit_code', 'o.grounds', 'o.evidence_refs', 'o.filed_by', 'o.filed_at'])
    .select(['d.decision', 'd.reason', 'd.rerating_id', 'd.decided_by', 'd.decided_at'])
    .orderBy('o.id')
    .limit(page.limit + 1);
  if (filter.id !== undefined) query = query.where('o.id', '=', filter.id);
  if (filter.runId !== undefined) query = query.where('o.run_id', '=', filter.runId);
  if (filter.creditCode !== undefined) query = query.where('o.credit_code', '=', filter.creditCode);
  if (filter.openOnly) query = query.where('d.id', 'is', null);
  if (page.after !== null) query = query.where('o.id', '>', page.after);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), run_id: Number(r.run_id), rerating_id: r.rerating_id === null ? null : Number(r.rerating_id) })) as ObjectionRow[];
}

export async function fileObjection(db: Db, filing: ObjectionFiling, now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, filing.runId, 'input.runId');
    const endsAt = publicityEndsAt(run);
    if (run.status !== 'PUBLICITY' || (endsAt && now > endsAt)) {
      throw appError('CONFLICT', `objections are heard during publicity; run ${run.id} is ${run.status}${endsAt ? ` (publicity ended ${endsAt.toISOString()})` : ''}`, {
        field: 'input.runId',
      });
    }
    const [rating] = await currentRunRatings(trx, filing.runId, { limit: 1, after: null }, [filing.creditCode]);
    if (!rating) throw notFound(`a rating of ${filing.creditCode} in run ${filing.runId}`, 'input.creditCode');
    const open = await trx
      .selectFrom('objections as o')
      .leftJoin('objection_decisions as d', 'd.objection_id', 'o.id')
      .select('o.id')
      .where('o.run_id', '=', filing.runId)
      .where('o.credit_code', '=', filing.creditCode)
      .where('d.id', 'is', null)
      .executeTakeFirst();
    if (open) throw appError('CONFLICT', `objection ${open.id} of this enterprise is still open in run ${filing.runId}`, { field: 'input.creditCode' });
    const { id } = await trx
      .insertInto('objections')
      .values({
        run_id: filing.runId,
        credit_code: filing.creditCode,
        rating_id: rating.id,
        grounds: filing.grounds,
        evidence_refs: filing.evidenceRefs,
        filed_by: filing.filedBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  });
}

export interface ObjectionDecision {
  objectionId: number;
  accept: boolean;
  reason: string;
  decidedBy: string;
}

/**
 * Decides an objection. Accepting re-rates the enterprise inside the run on its evidence as it is
 * now (the officer records the corrections first); the new rating supersedes the contested one.
 */
export async function decideObjection(db: Db, rules: RuleRegistry, decision: ObjectionDecision, now = new Date()): Promise<{ reratingId: number | null }> {
  return db.transaction().execute(async (trx) => {
    const objection = await trx.selectFrom('objections').selectAll().where('id', '=', decision.objectionId).executeTakeFirst();
    if (!objection) throw notFound(`objection ${decision.objectionId}`, 'input.objectionId');
    const run = await lockRun(trx, Number(objection.run_id));
    const decided = await trx.selectFrom('objection_decisions').select('decision').where('objection_id', '=', objection.id).executeTakeFirst();
    if (decided) throw appError('CONFLICT', `objection ${objection.id} was already ${decided.decision}`, { field: 'input.objectionId' });
    if (run.status !== 'PUBLICITY') throw appError('CONFLICT', `run ${run.id} is ${run.status}; objections are decided during publicity`, { field: 'input.objectionId' });
    let reratingId: number | null = null;
    if (decision.accept) {
      const code = objection.credit_code.trim();
      const ruleSet = requireRuleVersion(rules, run.rule_set_id, run.rule_version);
      const [contested] = await currentRunRatings(trx, run.id, { limit: 1, after: null }, [code]);
      // As an adjustment reads (src/rating/dynamic.ts): no bulk write in progress, no write of the
      // enterprise in flight, then the database's clock, so a replay reads the same records.
      await waitForBulkEvidenceWrites(trx);
      await lockEnterpriseForEffect(trx, code);
      const evidenceAt = await databaseNow(trx); // the clock recorded_at is stamped by (src/db/database-clock.ts)
      const sets = await loadEvidenceSets(trx, [code], { knownAt: evidenceAt, standing: await evidenceStandingAt(trx, [code], evidenceAt) });
      const { row } = rateEnterprise(ruleSet, sets.get(code)!, parsePeriod(run.period));
      await insertRatings(trx, [{ ...row, runId: run.id, evidenceKnownAt: evidenceAt, supersedesId: contested!.id }]);
      const [rerated] = await currentRunRatings(trx, run.id, { limit: 1, after: null }, [code]);
      reratingId = rerated!.id;
    }
    await trx
      .insertInto('objection_decisions')
      .values({ objection_id: objection.id, decision: decision.accept ? 'ACCEPTED' : 'REJECTED', reason: decision.reason, rerating_id: reratingId, decided_by: decision.decidedBy })
      .execute();
    return { reratingId };
  });
}
