import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { RatingRow } from './run-store.ts';

export interface EffectiveRating extends RatingRow {
  effect_id: number;
  effective_from: Date;
  /** When the next effect for the same enterprise took over; null while it still stands. */
  effective_to: Date | null;
  cause: 'PUBLICATION' | 'DYNAMIC_ADJUSTMENT';
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

/** Every effect an enterprise has had, newest first, with derived ends. */
export async function ratingHistory(db: Db, code: string, limit: number, beforeEffectId: number | null): Promise<EffectiveRating[]> {
  const result = await sql<EffectiveRating>`
    select ${EFFECT_COLUMNS}
    ${EFFECT_JOINS}
    where f.credit_code = ${code}
    order by f.effective_from desc, f.id desc`.execute(db);
  const rows = beforeEffectId === null ? result.rows : result.rows.slice(result.rows.findIndex((r) => r.effect_id === beforeEffectId) + 1);
  return rows.slice(0, limit + 1).map(trimmed);
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
