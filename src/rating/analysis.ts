import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { loadEvidenceSets } from '../evidence/evidence-set.ts';
import type { Page } from '../graphql/pagination.ts';
import type { RuleRegistry } from '../rules/index.ts';
import { parsePeriod } from './period.ts';
import { rateEnterprise, requireRuleVersion, RUN_BATCH_SIZE } from './runner.ts';
import { currentRunRatings, type RunRow } from './run-store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';

export interface Transition {
  from: string | null;
  to: string | null;
  count: number;
}

export interface ScoreShift {
  compared: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  stddev: number | null;
  raised: number;
  lowered: number;
  unchanged: number;
}

const CURRENT = (alias: string) =>
  sql.raw(`not exists (select 1 from ratings later where later.supersedes_id = ${alias}.id)`);

/** Level transition matrix between two runs (from = run a, to = run b; null = not in that run). */
export async function transitionMatrix(db: Db, a: number, b: number): Promise<Transition[]> {
  const result = await sql<{ from_level: string | null; to_level: string | null; n: string }>`
    select ra.level as from_level, rb.level as to_level, count(*) as n
    from (select * from ratings r where r.run_id = ${a} and ${CURRENT('r')}) ra
    full join (select * from ratings r where r.run_id = ${b} and ${CURRENT('r')}) rb on rb.credit_code = ra.credit_code
    group by ra.level, rb.level
    order by ra.level nulls first, rb.level nulls first`.execute(db);
  return result.rows.map((r) => ({ from: r.from_level, to: r.to_level, count: Number(r.n) }));
}

export async function scoreShift(db: Db, a: number, b: number): Promise<ScoreShift> {
  const result = await sql<Record<string, string | null>>`
    select count(*) as compared, avg(d) as mean, min(d) as min, max(d) as max, stddev_pop(d) as stddev,
      count(*) filter (where d > 0) as raised, count(*) filter (where d < 0) as lowered, count(*) filter (where d = 0) as unchanged
    from (
      select rb.score - ra.score as d
      from ratings ra join ratings rb on rb.credit_code = ra.credit_code
      where ra.run_id = ${a} and rb.run_id = ${b} and ${CURRENT('ra')} and ${CURRENT('rb')}
    ) shifts`.execute(db);
  const row = result.rows[0]!;
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);
  return {
    compared: Number(row.compared),
    mean: num(row.mean),
    min: num(row.min),
    max: num(row.max),
    stddev: num(row.stddev),
    raised: Number(row.raised),
    lowered: Number(row.lowered),
    unchanged: Number(row.unchanged),
  };
}

export interface Mover {
  credit_code: string;
  from_level: string;
  to_level: string;
  from_score: string;
  to_score: string;
}

/** Enterprises whose level differs between the runs, in credit-code order. */
export async function movers(db: Db, a: number, b: number, page: Page<string>): Promise<Mover[]> {
  const result = await sql<Mover>`
    select trim(ra.credit_code) as credit_code, ra.level as from_level, rb.level as to_level, ra.score as from_score, rb.score as to_score
    from ratings ra join ratings rb on rb.credit_code = ra.credit_code
    where ra.run_id = ${a} and rb.run_id = ${b} and ${CURRENT('ra')} and ${CURRENT('rb')}
      and ra.level <> rb.level
      ${page.after ? sql`and ra.credit_code > ${page.after}` : sql``}
    order by ra.credit_code
    limit ${page.limit + 1}`.execute(db);
  return result.rows;
}

export interface VerificationDifference {
  creditCode: string;
  ratingId: number;
  storedHash: string;
  recomputedHash: string;
}

/**
 * Replays every standing rating of a run: the same rule version on the evidence as it was known
 * when the rating was made. Any difference means the history or the engine changed.
 */
export async function verifyRun(
  db: Db,
  rules: RuleRegistry,
  run: RunRow,
  maxListed = Number.MAX_SAFE_INTEGER,
): Promise<{ checked: number; differing: number; differences: VerificationDifference[] }> {
  const ruleSet = requireRuleVersion(rules, run.rule_set_id, run.rule_version);
  const period = parsePeriod(run.period);
  const differences: VerificationDifference[] = [];
  let differing = 0;
  let checked = 0;
  let after: string | null = null;
  for (;;) {
    const ratings = await currentRunRatings(db, run.id, { limit: RUN_BATCH_SIZE - 1, after });
    if (ratings.length === 0) break;
    const byKnownAt = new Map<string, typeof ratings>();
    for (const rating of ratings) {
      const key = rating.evidence_known_at.toISOString();
      byKnownAt.set(key, [...(byKnownAt.get(key) ?? []), rating]);
    }
    const differingInBatch: VerificationDifference[] = [];
    for (const [knownAt, group] of byKnownAt) {
      const codes = group.map((r) => r.credit_code);
      const sets = await loadEvidenceSets(db, codes, { knownAt: new Date(knownAt), standing: await evidenceStandingAt(db, codes, new Date(knownAt)), datedBy: period.end });
      for (const stored of group) {
        const { row } = rateEnterprise(ruleSet, sets.get(stored.credit_code)!, period);
        if (row.resultHash !== stored.result_hash) differingInBatch.push({ creditCode: stored.credit_code, ratingId: stored.id, storedHash: stored.result_hash, recomputedHash: row.resultHash });
      }
    }
    // Counted all, listed up to maxListed in credit-code order (groups by instant would mix it): after an
    // engine change every rating may differ.
    differing += differingInBatch.length;
    differingInBatch.sort((a, b) => (a.creditCode < b.creditCode ? -1 : a.creditCode > b.creditCode ? 1 : 0));
    differences.push(...differingInBatch.slice(0, Math.max(0, maxListed - differences.length)));
    checked += ratings.length;
    after = ratings[ratings.length - 1]!.credit_code;
    if (ratings.length < RUN_BATCH_SIZE) break;
  }
  return { checked, differing, differences };
}
