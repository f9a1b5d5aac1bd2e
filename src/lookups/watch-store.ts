import { sql } from 'kysely';
import type { Institution } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { appError } from '../errors.ts';
import { chinaDay, startOfChinaDay } from '../china-day.ts';
import { leaderStateAt } from '../registers/derive.ts';
import { leaderEvents } from '../registers/store.ts';

/**
 * Adds codes to an institution's watch list; returns how many were new. All or nothing: when the list
 * would then hold more than `max` codes, refuses (VALIDATION_FAILED) and adds none. Calls for one
 * institution are serialised, so two at once cannot both pass the bound.
 */
export async function watchCodes(db: Db, institution: Institution, codes: readonly string[], actor: string, max: number): Promise<number> {
  if (codes.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:watches:${institution.role}:${institution.org}`}))`.execute(trx);
    const { rows } = await sql<{ n: string }>`
      with added as (
        insert into watches (institution_role, institution_org, credit_code, watched_by)
        select ${institution.role}, ${institution.org}, code, ${actor} from unnest(${[...new Set(codes)]}::text[]) as code
        on conflict (institution_role, institution_org, credit_code) do nothing
        returning 1)
      select count(*) as n from added`.execute(trx);
    const added = Number(rows[0]!.n);
    const watching = await watchCount(trx, institution);
    // Thrown inside the transaction, so the codes just added are rolled back.
    if (added > 0 && watching > max) throw watchListFull(watching - added, added, max);
    return added;
  });
}

function watchListFull(watching: number, adding: number, max: number) {
  return appError('VALIDATION_FAILED', `creditCodes: the watch list holds ${watching} codes; adding ${adding} new ones would exceed its ${max}; nothing was added`, {
    field: 'creditCodes',
    expected: `at most ${max} codes on the watch list (MAX_WATCHED_CODES); unwatch some first`,
    max,
    watching,
    received: adding,
  });
}

/** Removes codes from an institution's watch list; returns how many were watched. */
export async function unwatchCodes(db: Db, institution: Institution, codes: readonly string[]): Promise<number> {
  if (codes.length === 0) return 0;
  const result = await db
    .deleteFrom('watches')
    .where('institution_role', '=', institution.role)
    .where('institution_org', '=', institution.org)
    .where(sql<boolean>`credit_code = any(${[...new Set(codes)]}::char(18)[])`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function watchCount(db: Db, institution: Institution): Promise<number> {
  const row = await db
    .selectFrom('watches')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('institution_role', '=', institution.role)
    .where('institution_org', '=', institution.org)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function watchedCodes(db: Db, institution: Institution, limit: number, after: string | null): Promise<{ credit_code: string; watched_at: Date; watched_by: string }[]> {
  let query = db
    .selectFrom('watches')
    .select(['credit_code', 'watched_at', 'watched_by'])
    .where('institution_role', '=', institution.role)
    .where('institution_org', '=', institution.org)
    .orderBy('credit_code')
    .limit(limit + 1);
  if (after !== null) query = query.where('credit_code', '>', after);
  return (await query.execute()).map((r) => ({ ...r, credit_code: r.credit_code.trim() }));
}

export interface ChangeRow {
  id: number;
  txid: string;
  credit_code: string;
  source_table: string;
  source_id: number;
  effective_at: Date;
  recorded_at: Date;
}

/** Feed cursor: the writing transaction and the row id. */
export interface ChangeCursor {
  txid: string;
  id: number;
}

export function encodeChangeKey(row: { txid: string; id: number }): string {
  return `${row.txid}.${row.id}`;
}

export function parseChangeKey(key: string): ChangeCursor {
  const match = /^(\d{1,20})\.(\d{1,15})$/.exec(key);
  if (!match) throw appError('VALIDATION_FAILED', 'after: not a cursor this feed issued', { field: 'after', expected: 'an endCursor from a previous page' });
  return { txid: match[1]!, id: Number(match[2]) };
}

/** The watch feed's source_table for a leader term that ended by itself (migration 0015). */
export const LEADER_TERM_END_SOURCE = 'leader_terms';

/**
 * Writes a feed change for each leader term that ended by `now` and has none yet: a term ends at the
 * start of its term_end day (a China day like every register date: 00:00 Beijing) with no register
 * event, so nothing else would tell a watcher. Run before the feed is read; idempotent (one change per event whose term ended, a unique index) and bounded by
 * the leader register, not the population. Returns how many it wrote.
 */
export async function recordEndedLeaderTerms(db: Db, now: Date): Promise<number> {
  const today = chinaDay(now);
  let written = 0;
  // Page by event id, so a candidate that turns out not to have ended never hides the ones after it.
  for (let afterId = 0; ; ) {
    // A term that may have ended: the last LISTED or EXTENDED event before its term_end day, with no change yet.
    // That day begins at 00:00 Beijing, 8 hours before 00:00 UTC (China keeps no summer time).
    const { rows } = await sql<{ id: string; credit_code: string; term_end: string }>`
      select e.id, e.credit_code, e.term_end::text as term_end from leader_events e
      where e.id > ${afterId} and e.event in ('LISTED', 'EXTENDED') and e.term_end is not null and e.term_end <= ${today}::date
        and not exists (
          select 1 from leader_events later
          where later.credit_code = e.credit_code and (later.effective_from, later.id) > (e.effective_from, e.id)
            and later.effective_from < (e.term_end - interval '8 hours') at time zone 'UTC')
        and not exists (select 1 from credit_changes c where c.source_table = ${LEADER_TERM_END_SOURCE} and c.source_id = e.id)
      order by e.id
      limit ${TERM_ENDS_PER_PAGE}`.execute(db);
    for (const row of rows) {
      const code = row.credit_code.trim();
      const endedAt = startOfChinaDay(row.term_end);
      const events = await leaderEvents(db, code);
      const before = leaderStateAt(events, new Date(endedAt.getTime() - 1));
      // Only a term that was running until that day and ended by itself (not an extension's old date).
      if (!before.leader || before.termEnd !== row.term_end || leaderStateAt(events, endedAt).leader) continue;
      const inserted = await sql`
        insert into credit_changes (credit_code, source_table, source_id, effective_at)
        values (${code}, ${LEADER_TERM_END_SOURCE}, ${row.id}::bigint, ${endedAt})
        on conflict (source_id) where source_table = 'leader_terms' do nothing`.execute(db);
      written += Number(inserted.numAffectedRows ?? 0n);
    }
    if (rows.length < TERM_ENDS_PER_PAGE) return written;
    afterId = Number(rows[rows.length - 1]!.id);
  }
}

/** Candidate leader events read per query (the pass reads them all, a page at a time: the leader register is small). */
const TERM_ENDS_PER_PAGE = 500;

/**
 * The next changes to an institution's watched codes after `after`, in (transaction, id) order.
 * Only rows written by transactions older than every transaction still running are handed out, so
 * a row that commits later always sorts after the cursor: nothing is skipped, nothing repeated.
 * A watch covers changes recorded from the moment the code was watched.
 */
export async function changesAfter(db: Db, institution: Institution, after: ChangeCursor | null, limit: number): Promise<ChangeRow[]> {
  const { rows } = await sql<ChangeRow>`
    select c.id, c.txid::text as txid, c.credit_code, c.source_table, c.source_id, c.effective_at, c.recorded_at
    from credit_changes c
    join watches w on w.institution_role = ${institution.role} and w.institution_org = ${institution.org} and w.credit_code = c.credit_code
    where c.txid < pg_snapshot_xmin(pg_current_snapshot())
      and c.recorded_at >= w.watched_at
      ${after ? sql`and (c.txid, c.id) > (${after.txid}::xid8, ${after.id}::bigint)` : sql``}
    order by c.txid, c.id
    limit ${limit + 1}`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id), source_id: Number(r.source_id), credit_code: r.credit_code.trim() }));
}
