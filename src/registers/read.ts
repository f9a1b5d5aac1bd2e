import { sql } from 'kysely';
import { chinaDay } from '../china-day.ts';
import type { Db, RegisterKind } from '../db/database.ts';
import type { Page } from '../graphql/pagination.ts';
import { blacklistStateAt, leaderStateAt, type BlacklistEventKind, type LeaderEventKind, type RegisterEventFact } from './derive.ts';

/** One enterprise on a register at an instant, as published. */
export interface RegisterEntry {
  creditCode: string;
  enterpriseName: string | null;
  causeCode: string;
  cause: string;
  listedSince: Date;
  /** Blacklist: first day repair may be applied for. */
  earliestRemoval: string | null;
  /** Leaders: first day no longer a leader. */
  termEnd: string | null;
}

const TABLE = { BLACKLIST: 'blacklist_events', LEADER: 'leader_events' } as const;

/**
 * The entries of a register at `at`, in credit-code order after `page.after`, up to limit + 1 rows.
 * Candidates come from one SQL pass (the latest event effective by then is a listing, and for
 * leaders its term has not ended); their details are derived from their events by derive.ts.
 */
export async function registerEntriesAt(db: Db, register: RegisterKind, at: Date, page: Page<string>): Promise<RegisterEntry[]> {
  const table = sql.table(TABLE[register]);
  const termColumn = sql.ref(register === 'BLACKLIST' ? 'earliest_removal' : 'term_end');
  const termFilter = register === 'LEADER' ? sql`and last.term > ${chinaDay(at)}` : sql``;
  const { rows: candidates } = await sql<{ credit_code: string }>`
    select last.credit_code from (
      select distinct on (e.credit_code) e.credit_code, e.event, ${termColumn}::text as term
      from ${table} e
      where e.effective_from <= ${at} ${page.after !== null ? sql`and e.credit_code > ${page.after}` : sql``}
      order by e.credit_code, e.effective_from desc, e.id desc) last
    where last.event in ('LISTED', 'EXTENDED') ${termFilter}
    order by last.credit_code
    limit ${page.limit + 1}`.execute(db);
  const codes = candidates.map((c) => c.credit_code.trim());
  if (codes.length === 0) return [];
  const { rows } = await sql<{ credit_code: string; id: string; event: string; cause_code: string; cause: string; effective_from: Date; term: string | null; name: string | null }>`
    select e.credit_code, e.id, e.event, e.cause_code, e.cause, e.effective_from, ${termColumn}::text as term, ec.name
    from ${table} e left join enterprise_current ec on ec.credit_code = e.credit_code
    where e.credit_code = any(${codes}::char(18)[]) and e.effective_from <= ${at}
    order by e.credit_code, e.effective_from, e.id`.execute(db);
  const byCode = new Map<string, { name: string | null; events: RegisterEventFact<string>[] }>();
  for (const row of rows) {
    const code = row.credit_code.trim();
    let entry = byCode.get(code);
    if (!entry) byCode.set(code, (entry = { name: row.name, events: [] }));
    entry.events.push({ id: Number(row.id), event: row.event, causeCode: row.cause_code, cause: row.cause, effectiveFrom: new Date(row.effective_from), termDate: row.term });
  }
  const entries: RegisterEntry[] = [];
  for (const code of codes) {
    const { name, events } = byCode.get(code)!;
    if (register === 'BLACKLIST') {
      const s = blacklistStateAt(events as RegisterEventFact<BlacklistEventKind>[], at);
      if (s.listed) entries.push({ creditCode: code, enterpriseName: name, causeCode: s.causeCode!, cause: s.cause!, listedSince: s.listedSince!, earliestRemoval: s.earliestRemoval, termEnd: null });
    } else {
      const s = leaderStateAt(events as RegisterEventFact<LeaderEventKind>[], at);
      if (s.leader) entries.push({ creditCode: code, enterpriseName: name, causeCode: s.causeCode!, cause: s.cause!, listedSince: s.listedSince!, earliestRemoval: null, termEnd: s.termEnd });
    }
  }
  return entries;
}

/** Every entry of a register at `at`, a page at a time (exports stream it without holding it all). */
export async function* allRegisterEntriesAt(db: Db, register: RegisterKind, at: Date, batch = 1000): AsyncGenerator<RegisterEntry> {
  let after: string | null = null;
  for (;;) {
    const rows = await registerEntriesAt(db, register, at, { limit: batch, after });
    yield* rows.slice(0, batch);
    if (rows.length <= batch) return;
    after = rows[batch - 1]!.creditCode;
  }
}

export interface RegisterEventRow {
  id: number;
  register: RegisterKind;
  credit_code: string;
  event: string;
  cause_code: string;
  cause: string;
  evidence_ids: string[];
  rule_set_id: string | null;
  rule_version: string | null;
  rule_hash: string | null;
  source_rating_id: number | null;
  proposal_id: number | null;
  repair_application_id: number | null;
  decided_by: string;
  decided_at: Date;
  effective_from: Date;
  earliest_removal: string | null;
  term_end: string | null;
}

/** One enterprise's register history, oldest first, after event id `page.after`. */
export async function registerHistory(db: Db, register: RegisterKind, code: string, page: Page<number>): Promise<RegisterEventRow[]> {
  const table = TABLE[register];
  const rows = await db
    .selectFrom(table)
    .selectAll()
    .select(sql<string | null>`${sql.ref(register === 'BLACKLIST' ? 'earliest_removal' : 'term_end')}::text`.as('term'))
    .where('credit_code', '=', code)
    .$if(page.after !== null, (q) => q.where('id', '>', page.after!))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => {
    const { term, ...rest } = r as typeof r & { term: string | null };
    return {
      ...(rest as unknown as RegisterEventRow),
      id: Number(r.id),
      register,
      credit_code: r.credit_code.trim(),
      source_rating_id: r.source_rating_id === null ? null : Number(r.source_rating_id),
      proposal_id: r.proposal_id === null ? null : Number(r.proposal_id),
      repair_application_id: r.repair_application_id === null ? null : Number(r.repair_application_id),
      earliest_removal: register === 'BLACKLIST' ? term : null,
      term_end: register === 'LEADER' ? term : null,
    };
  });
}

export interface ProposalRow {
  id: number;
  register: RegisterKind;
  action: 'LIST' | 'REVOKE';
  credit_code: string;
  cause_code: string;
  cause: string;
  evidence_ids: string[];
  rule_set_id: string;
  rule_version: string;
  rule_hash: string;
  rating_id: number;
  term_months: number | null;
  automatic: boolean;
  proposed_at: Date;
  decision: 'CONFIRMED' | 'DISMISSED' | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
}

export async function findProposals(db: Db, filter: { id?: number; creditCode?: string; pendingOnly?: boolean }, page: Page<number>): Promise<ProposalRow[]> {
  const rows = await db
    .selectFrom('register_proposals as p')
    .leftJoin('register_proposal_decisions as d', 'd.proposal_id', 'p.id')
    .selectAll('p')
    .select(['d.decision', 'd.reason', 'd.decided_by', 'd.decided_at'])
    .$if(filter.id !== undefined, (q) => q.where('p.id', '=', filter.id!))
    .$if(filter.creditCode !== undefined, (q) => q.where('p.credit_code', '=', filter.creditCode!))
    .$if(filter.pendingOnly === true, (q) => q.where('p.automatic', '=', false).where('d.id', 'is', null))
    .$if(page.after !== null, (q) => q.where('p.id', '>', page.after!))
    .orderBy('p.id')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => ({ ...(r as unknown as ProposalRow), id: Number(r.id), rating_id: Number(r.rating_id), credit_code: r.credit_code.trim() }));
}

export interface RepairRow {
  id: number;
  credit_code: string;
  statement: string;
  evidence_ids: string[];
  applied_by: string;
  applied_at: Date;
  decision: 'APPROVED' | 'REJECTED' | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
}

export async function findRepairApplications(db: Db, filter: { id?: number; creditCode?: string }, page: Page<number>): Promise<RepairRow[]> {
  const rows = await db
    .selectFrom('repair_applications as a')
    .leftJoin('repair_decisions as d', 'd.application_id', 'a.id')
    .selectAll('a')
    .select(['d.decision', 'd.reason', 'd.decided_by', 'd.decided_at'])
    .$if(filter.id !== undefined, (q) => q.where('a.id', '=', filter.id!))
    .$if(filter.creditCode !== undefined, (q) => q.where('a.credit_code', '=', filter.creditCode!))
    .$if(page.after !== null, (q) => q.where('a.id', '>', page.after!))
    .orderBy('a.id')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => ({ ...(r as unknown as RepairRow), id: Number(r.id), credit_code: r.credit_code.trim() }));
}
