import { sql } from 'kysely';
import type { Db, RegisterKind } from '../db/database.ts';
import { publicRegisterCause } from './layout.ts';
import { allRegisterEntriesAt, registerEntriesAt, type RegisterEntry } from '../registers/read.ts';

/**
 * The public site's reads. Only public facts leave this module: names and codes, published levels
 * and scores, register events' public causes, run metadata. Never evidence rows, evidence ids,
 * point-by-point results or who decided what.
 */

export interface PublishedRun {
  id: number;
  period: string;
  ruleSetId: string;
  ruleVersion: string;
  publishedAt: Date;
}

/** Published (DRAFT-mode) runs whose publication took effect by `at`, newest publication first. */
export async function publishedRuns(db: Db, at: Date, limit = 50): Promise<PublishedRun[]> {
  const { rows } = await sql<{ id: string; period: string; rule_set_id: string; rule_version: string; published_at: Date }>`
    select r.id, r.period, r.rule_set_id, r.rule_version,
      coalesce((e.detail->>'effectiveFrom')::timestamptz, e.at) as published_at
    from rating_runs r
    join lateral (select status, at, detail from rating_run_events where run_id = r.id order by id desc limit 1) e on true
    where r.mode = 'DRAFT' and e.status = 'PUBLISHED'
      and coalesce((e.detail->>'effectiveFrom')::timestamptz, e.at) <= ${at}
    order by published_at desc, r.id desc
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ id: Number(r.id), period: r.period, ruleSetId: r.rule_set_id, ruleVersion: r.rule_version, publishedAt: new Date(r.published_at) }));
}

/** Levels in force at `at` (publications and dynamic adjustments), counted per level. */
export async function levelCountsAt(db: Db, at: Date): Promise<Map<string, number>> {
  const { rows } = await sql<{ level: string; n: string }>`
    select level, count(*) as n from (
      select distinct on (f.credit_code) r.level
      from rating_effects f join ratings r on r.id = f.rating_id
      where f.effective_from <= ${at}
      order by f.credit_code, f.effective_from desc, f.id desc) current
    group by level`.execute(db);
  return new Map(rows.map((r) => [r.level, Number(r.n)]));
}

export async function enterpriseCount(db: Db): Promise<number> {
  const row = await db.selectFrom('enterprise_current').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface RegisterChange {
  register: RegisterKind;
  creditCode: string;
  name: string | null;
  event: string;
  /** The public cause (publicRegisterCause). */
  cause: string;
  effectiveFrom: Date;
  term: string | null;
}

/** Register events effective in [from, to], newest first. */
export async function registerChanges(db: Db, window: { from?: Date | null; to: Date }, limit: number): Promise<RegisterChange[]> {
  const from = window.from ?? new Date(0);
  const { rows } = await sql<{ register: RegisterKind; credit_code: string; name: string | null; event: string; cause_code: string; cause: string; effective_from: Date; term: string | null; id: string }>`
    select * from (
      select 'BLACKLIST' as register, e.credit_code, e.id, e.event, e.cause_code, e.cause, e.effective_from, e.earliest_removal::text as term
        from blacklist_events e where e.effective_from >= ${from} and e.effective_from <= ${window.to}
      union all
      select 'LEADER', e.credit_code, e.id, e.event, e.cause_code, e.cause, e.effective_from, e.term_end::text
        from leader_events e where e.effective_from >= ${from} and e.effective_from <= ${window.to}
    ) ev left join lateral (select name from enterprise_current ec where ec.credit_code = ev.credit_code) n on true
    order by ev.effective_from desc, ev.id desc
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ register: r.register, creditCode: r.credit_code.trim(), name: r.name, event: r.event, cause: publicRegisterCause(r), effectiveFrom: new Date(r.effective_from), term: r.term }));
}

/** Counts of register events per register and event kind in [from, to]. */
export async function registerChangeCounts(db: Db, window: { from: Date; to: Date }): Promise<{ register: RegisterKind; event: string; count: number }[]> {
  const { rows } = await sql<{ register: RegisterKind; event: string; n: string }>`
    select 'BLACKLIST' as register, event, count(*) as n from blacklist_events where effective_from >= ${window.from} and effective_from <= ${window.to} group by event
    union all
    select 'LEADER', event, count(*) from leader_events where effective_from >= ${window.from} and effective_from <= ${window.to} group by event`.execute(db);
  return rows.map((r) => ({ register: r.register, event: r.event, count: Number(r.n) }));
}

export interface DynamicChange {
  creditCode: string;
  name: string | null;
  fromLevel: string | null;
  toLevel: string;
  effectiveFrom: Date;
}

/** Dynamic adjustments (re-ratings on serious new evidence) effective by `at`, newest first, with the level they replaced. */
export async function dynamicAdjustments(db: Db, at: Date, limit: number): Promise<DynamicChange[]> {
  const { rows } = await sql<{ credit_code: string; name: string | null; from_level: string | null; to_level: string; effective_from: Date }>`
    select f.credit_code, ec.name, r.level as to_level, f.effective_from,
      (select pr.level from rating_effects p join ratings pr on pr.id = p.rating_id
        where p.credit_code = f.credit_code and (p.effective_from < f.effective_from or (p.effective_from = f.effective_from and p.id < f.id))
        order by p.effective_from desc, p.id desc limit 1) as from_level
    from rating_effects f
    join ratings r on r.id = f.rating_id
    left join enterprise_current ec on ec.credit_code = f.credit_code
    where f.cause = 'DYNAMIC_ADJUSTMENT' and f.effective_from <= ${at}
    order by f.effective_from desc, f.id desc
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ creditCode: r.credit_code.trim(), name: r.name, fromLevel: r.from_level, toLevel: r.to_level, effectiveFrom: new Date(r.effective_from) }));
}

export interface EnterpriseHit {
  creditCode: string;
  name: string;
  region: string;
  industry: string;
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Enterprises whose name contains `q` or whose code starts with it, in code order (bounded). */
export async function searchEnterprises(db: Db, q: string, limit: number, after: string | null): Promise<EnterpriseHit[]> {
  const code = q.toUpperCase();
  const rows = await db
    .selectFrom('enterprise_current')
    .select(['credit_code', 'name', 'region', 'industry'])
    .where((eb) => eb.or([eb('name', 'ilike', likePattern(q)), eb('credit_code', 'like', `${code.replace(/[\\%_]/g, '')}%`)]))
    .$if(after !== null, (qb) => qb.where('credit_code', '>', after!))
    .orderBy('credit_code')
    .limit(limit + 1)
    .execute();
  return rows.map((r) => ({ creditCode: r.credit_code.trim(), name: r.name, region: r.region, industry: r.industry }));
}

/** The most register entries one search reads before it stops (the page says so when it is reached). */
export const REGISTER_SCAN_LIMIT = 50_000;

/**
 * A page of a register at `at`, optionally filtered by name or code. Entries come from the register
 * module (registerEntriesAt); a search reads its entries in code order and keeps the matching ones.
 */
export async function registerPage(db: Db, register: RegisterKind, at: Date, options: { q: string | null; after: string | null; limit: number }): Promise<{ entries: RegisterEntry[]; hasMore: boolean; truncated: boolean }> {
  if (!options.q) {
    const rows = await registerEntriesAt(db, register, at, { limit: options.limit, after: options.after });
    return { entries: rows.slice(0, options.limit), hasMore: rows.length > options.limit, truncated: false };
  }
  const q = options.q.toLowerCase();
  const code = options.q.toUpperCase();
  const entries: RegisterEntry[] = [];
  let scanned = 0;
  for await (const entry of allRegisterEntriesAt(db, register, at)) {
    if (++scanned > REGISTER_SCAN_LIMIT) return { entries, hasMore: false, truncated: true };
    if (options.after !== null && entry.creditCode <= options.after) continue;
    if (!(entry.creditCode.startsWith(code) || (entry.enterpriseName ?? '').toLowerCase().includes(q))) continue;
    if (entries.length === options.limit) return { entries, hasMore: true, truncated: false };
    entries.push(entry);
  }
  return { entries, hasMore: false, truncated: false };
}

export interface DistributionRow {
  region: string;
  section: string;
  level: string;
  count: number;
}

/** The standing ratings of a run by township, industry section and level. */
export async function runDistribution(db: Db, runId: number): Promise<DistributionRow[]> {
  const { rows } = await sql<{ region: string | null; section: string | null; level: string; n: string }>`
    select ec.region, left(ec.industry, 1) as section, r.level, count(*) as n
    from ratings r left join enterprise_current ec on ec.credit_code = r.credit_code
    where r.run_id = ${runId} and not exists (select 1 from ratings later where later.supersedes_id = r.id)
    group by 1, 2, 3`.execute(db);
  return rows.map((r) => ({ region: r.region ?? '—', section: r.section ?? '—', level: r.level, count: Number(r.n) }));
}
