import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { notACursor } from '../graphql/pagination.ts';
import type { RatingRow } from './run-store.ts';

export interface EffectiveRating extends RatingRow {
  effect_id: number;
  effective_from: Date;
  /** When the next effect for the same enterprise took over; null while it still stands. */
  effective_to: Date | null;
  cause: 'PUBLICATION' | 'DYNAMIC_ADJUSTMENT' | 'CORRECTION';
  trigger_evidence: string | null;
  rule_set_id: string;
  rule_version: string;
  rule_hash: string;
  period: string;
}

/** An effect with its rating and run, and its end derived from the next effect of the same enterprise. */
const EFFECT_COLUMNS = sql`
  r.*, f.id as effect_id, f.effective_from, f.cause, f.trigger_evidence,
  (select min(n.effective_from) from rating_effects n
    where n.credit_code = f.credit_code and n.effective_from > f.effective_from) as effective_to,
  run.rule_set_id, run.rule_version, run.rule_hash, run.period`;
const EFFECT_JOINS = sql`
  from rating_effects f
  join ratings r on r.id = f.rating_id
  join rating_runs run on run.id = r.run_id`;

const trimmed = (row: EffectiveRating): EffectiveRating => ({ ...row, credit_code: row.credit_code.trim() });

/**
 * The rating in force for each code at an instant: the latest effect that began at or before it.
 * Validity ends are derived from the next effect, so publishing never edits an earlier row.
 */
export async function effectiveRatingsAt(db: Db, codes: readonly string[], at: Date): Promise<Map<string, EffectiveRating>> {
  if (codes.length === 0) return new Map();
  const result = await sql<EffectiveRating>`
    select distinct on (f.credit_code) ${EFFECT_COLUMNS}
    ${EFFECT_JOINS}
    where f.credit_code = any(${[...codes]}::char(18)[]) and f.effective_from <= ${at}
    order by f.credit_code, f.effective_from desc, f.id desc`.execute(db);
  return new Map(result.rows.map((row) => [row.credit_code.trim(), trimmed(row)]));
}

/**
 * Every effect an enterprise has had, newest first, with derived ends: up to `limit + 1` of them,
 * after the effect `beforeEffectId` when given. That effect must be one of this enterprise's (the
 * cursor a page handed out); any other id is refused rather than read as "from the start".
 */
export async function ratingHistory(db: Db, code: string, limit: number, beforeEffectId: number | null): Promise<EffectiveRating[]> {
  if (beforeEffectId !== null) await assertEffectOf(db, code, beforeEffectId);
  // The row comparison matches the order below; the cursor's effect is read in SQL, so its
  // microsecond timestamp never round-trips through a JavaScript Date.
  const result = await sql<EffectiveRating>`
    select ${EFFECT_COLUMNS}
    ${EFFECT_JOINS}
    where f.credit_code = ${code}
    ${beforeEffectId === null ? sql`` : sql`and (f.effective_from, f.id) < (select c.effective_from, c.id from rating_effects c where c.id = ${beforeEffectId})`}
    order by f.effective_from desc, f.id desc
    limit ${limit + 1}`.execute(db);
  return result.rows.map(trimmed);
}

/** Rating effects are history (never deleted), so an id found now stays valid for the page query. */
async function assertEffectOf(db: Db, code: string, effectId: number): Promise<void> {
  const found = await sql`select 1 from rating_effects where id = ${effectId} and credit_code = ${code}`.execute(db);
  if (found.rows.length === 0) throw notACursor();
}

/** The effect a piece of evidence triggered (a dynamic adjustment), if any. */
export async function effectTriggeredBy(db: Db, evidenceRef: string): Promise<EffectiveRating | undefined> {
  const result = await sql<EffectiveRating>`
    select ${EFFECT_COLUMNS}
    ${EFFECT_JOINS}
    where f.trigger_evidence = ${evidenceRef}`.execute(db);
  const row = result.rows[0];
  return row ? trimmed(row) : undefined;
}

/** Whether any of these evidence refs triggered an effect (an adjustment or correction was made for it). */
export async function anyEffectTriggeredBy(db: Db, evidenceRefs: readonly string[]): Promise<boolean> {
  if (evidenceRefs.length === 0) return false;
  const row = await db.selectFrom('rating_effects').select('id').where('trigger_evidence', 'in', [...evidenceRefs]).limit(1).executeTakeFirst();
  return row !== undefined;
}
