import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { databaseNow } from '../db/database-clock.ts';
import { loadEvidenceSet, type EvidenceSet, type Standing } from '../evidence/evidence-set.ts';
import { blacklistStateAt, leaderStateAt, type BlacklistEventKind, type LeaderEventKind, type RegisterEventFact } from './derive.ts';

/** What the registers say about one enterprise at an instant. */
export interface RegisterStanding {
  blacklisted: boolean;
  leader: boolean;
  /** The cause code of the current blacklisting (a rule criterion id such as BL_SERIOUS_DISHONESTY, or the bureau's code). */
  blacklistCause: string | null;
  listedSince: Date | null;
  /** 'YYYY-MM-DD': the first day credit repair may be applied for. */
  earliestRemoval: string | null;
  /** 'YYYY-MM-DD': the first day the enterprise is no longer a leader. */
  leaderTermEnd: string | null;
}

export const NOT_LISTED: RegisterStanding = Object.freeze({
  blacklisted: false,
  leader: false,
  blacklistCause: null,
  listedSince: null,
  earliestRemoval: null,
  leaderTermEnd: null,
});

interface EventRow {
  register: 'B' | 'L';
  credit_code: string;
  id: string | number;
  event: string;
  cause_code: string;
  cause: string;
  effective_from: Date;
  term_date: string | null;
}

/**
 * Register standing of every code at `at`, derived from the events effective by then. One query
 * whatever the number of codes (they travel as one array parameter); every code given is in the map,
 * not listed when it has no events.
 */
export async function registerStandingAt(db: Db, codes: readonly string[], at: Date, options: { recordedBy?: Date } = {}): Promise<Map<string, RegisterStanding>> {
  // A rating's standing is also "as recorded by" its instant (migration 0013), like its evidence.
  const recorded = options.recordedBy ? sql`and e.recorded_at <= ${options.recordedBy}` : sql``;
  const unique = [...new Set(codes)];
  const result = new Map<string, RegisterStanding>(codes.map((code) => [code, NOT_LISTED]));
  if (unique.length === 0) return result;
  const { rows } = await sql<EventRow>`
    with wanted as (select unnest(${unique}::text[])::char(18) as code)
    select 'B' as register, e.credit_code, e.id, e.event, e.cause_code, e.cause, e.effective_from, e.earliest_removal::text as term_date
      from blacklist_events e join wanted w on e.credit_code = w.code
      where e.effective_from <= ${at} ${recorded}
    union all
    select 'L', e.credit_code, e.id, e.event, e.cause_code, e.cause, e.effective_from, e.term_end::text
      from leader_events e join wanted w on e.credit_code = w.code
      where e.effective_from <= ${at} ${recorded}
    order by 2, 7, 3`.execute(db);

  const byCode = new Map<string, { blacklist: RegisterEventFact<BlacklistEventKind>[]; leader: RegisterEventFact<LeaderEventKind>[] }>();
  for (const row of rows) {
    const code = row.credit_code.trim();
    let entry = byCode.get(code);
    if (!entry) byCode.set(code, (entry = { blacklist: [], leader: [] }));
    const fact = {
      id: Number(row.id),
      causeCode: row.cause_code,
      cause: row.cause,
      effectiveFrom: new Date(row.effective_from),
      termDate: row.term_date,
    };
    if (row.register === 'B') entry.blacklist.push({ ...fact, event: row.event as BlacklistEventKind });
    else entry.leader.push({ ...fact, event: row.event as LeaderEventKind });
  }
  for (const [code, events] of byCode) {
    if (!result.has(code)) continue;
    const b = blacklistStateAt(events.blacklist, at);
    const l = leaderStateAt(events.leader, at);
    result.set(code, {
      blacklisted: b.listed,
      leader: l.leader,
      blacklistCause: b.causeCode,
      listedSince: b.listedSince,
      earliestRemoval: b.earliestRemoval,
      leaderTermEnd: l.termEnd,
    });
  }
  return result;
}

/**
 * The `standing` option of loadEvidenceSets for a batch of codes: leader standing from the register
 * as of `at` (the instant whose evidence a rating reads, so a replay derives the same standing), from
 * the events effective and recorded by then: the ones the rating itself goes on to write (a leader it
 * revokes) are recorded after it, even when they take effect from an earlier legal instant.
 */
export async function evidenceStandingAt(db: Db, codes: readonly string[], at: Date): Promise<(code: string) => Standing> {
  const standing = await registerStandingAt(db, codes, at, { recordedBy: at });
  return (code) => ({ leader: standing.get(code)?.leader ?? false, creditCommitment: false });
}

/**
 * One enterprise's evidence as a rating made now would read it: the records and the leader standing as
 * recorded by the database's clock (src/db/database-clock.ts). What a preview or an explanation rates,
 * so it gives what a run started now would.
 */
export async function currentEvidenceSet(db: Db, code: string): Promise<EvidenceSet> {
  const at = await databaseNow(db);
  return loadEvidenceSet(db, code, { knownAt: at, standing: await evidenceStandingAt(db, [code], at) });
}
