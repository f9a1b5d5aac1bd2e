import { sql, type Transaction } from 'kysely';
import { chinaDay } from '../china-day.ts';
import type { Database, Db, RegisterKind } from '../db/database.ts';
import { lockEnterpriseForWrite, lockTableForSingleWrite, REGISTER_WRITE_LOCK_TABLE } from '../db/locks.ts';
import { appError, notFound } from '../errors.ts';
import { evidenceChains } from '../evidence/supersession.ts';
import type { BlacklistProposal, LeaderProposal } from '../rules/engine.ts';
import { addMonths } from '../rules/dates.ts';
import { blacklistStateAt, leaderStateAt, type BlacklistEventKind, type BlacklistState, type LeaderEventKind, type LeaderState, type RegisterEventFact } from './derive.ts';

/**
 * Writing the registers. Every change is an appended event; changes to one enterprise's registers
 * are serialised by a transaction-scoped advisory lock, and the state they start from is derived
 * from the events (never from a mutable "current" row).
 */

type Trx = Transaction<Database> | Db;

/** Where an event came from: a rule's proposal (rule set, rating) or a bureau decision. */
export interface EventOrigin {
  ruleSetId?: string | null;
  ruleVersion?: string | null;
  ruleHash?: string | null;
  sourceRatingId?: number | null;
  proposalId?: number | null;
  repairApplicationId?: number | null;
}

export interface NewRegisterEvent extends EventOrigin {
  creditCode: string;
  causeCode: string;
  cause: string;
  evidenceIds: readonly string[];
  decidedBy: string;
  decidedAt: Date;
  effectiveFrom: Date;
}

export const LEADER_NOMINATION = 'LEADER_NOMINATION';
export const LEADER_REVOCATION = 'LEADER_REVOCATION';
export const CREDIT_REPAIR = 'CREDIT_REPAIR';
/**
 * The public cause of a removal by approved credit repair. The decision's reason is for the bureau
 * and the enterprise only (CreditRepairApplication.decisionReason), while register events are public:
 * the site shows them to anyone.
 */
export const CREDIT_REPAIR_APPROVED_CAUSE = '信用修复 Credit repair approved';

/**
 * One enterprise's registers, until the transaction ends. Taken after the locks a rating's readers
 * wait for, in their order (src/db/locks.ts): the leader register's write lock (shared), then the
 * enterprise's effects lock (shared), so an annual run or an adjustment reading standing either sees
 * a register write committed or sees it recorded after its instant, and the locks never cross.
 */
export async function lockRegisters(trx: Trx, code: string): Promise<void> {
  await lockTableForSingleWrite(trx as Db, REGISTER_WRITE_LOCK_TABLE);
  await lockEnterpriseForWrite(trx as Db, code);
  await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:registers:${code}`}))`.execute(trx);
}

const toFact = <K extends string>(row: { id: number | string; event: string; cause_code: string; cause: string; effective_from: Date; term: string | null }): RegisterEventFact<K> => ({
  id: Number(row.id),
  event: row.event as K,
  causeCode: row.cause_code,
  cause: row.cause,
  effectiveFrom: new Date(row.effective_from),
  termDate: row.term,
});

export async function blacklistEvents(db: Trx, code: string): Promise<RegisterEventFact<BlacklistEventKind>[]> {
  const rows = await db
    .selectFrom('blacklist_events')
    .select(['id', 'event', 'cause_code', 'cause', 'effective_from', sql<string | null>`earliest_removal::text`.as('term')])
    .where('credit_code', '=', code)
    .orderBy('effective_from')
    .orderBy('id')
    .execute();
  return rows.map((r) => toFact<BlacklistEventKind>(r));
}

export async function leaderEvents(db: Trx, code: string): Promise<RegisterEventFact<LeaderEventKind>[]> {
  const rows = await db
    .selectFrom('leader_events')
    .select(['id', 'event', 'cause_code', 'cause', 'effective_from', sql<string | null>`term_end::text`.as('term')])
    .where('credit_code', '=', code)
    .orderBy('effective_from')
    .orderBy('id')
    .execute();
  return rows.map((r) => toFact<LeaderEventKind>(r));
}

export const blacklistStateOf = async (db: Trx, code: string, at: Date): Promise<BlacklistState> => blacklistStateAt(await blacklistEvents(db, code), at);
export const leaderStateOf = async (db: Trx, code: string, at: Date): Promise<LeaderState> => leaderStateAt(await leaderEvents(db, code), at);

function originColumns(e: NewRegisterEvent) {
  return {
    credit_code: e.creditCode,
    cause_code: e.causeCode,
    cause: e.cause,
    evidence_ids: [...e.evidenceIds],
    rule_set_id: e.ruleSetId ?? null,
    rule_version: e.ruleVersion ?? null,
    rule_hash: e.ruleHash ?? null,
    source_rating_id: e.sourceRatingId ?? null,
    proposal_id: e.proposalId ?? null,
    repair_application_id: e.repairApplicationId ?? null,
    decided_by: e.decidedBy,
    decided_at: e.decidedAt,
    effective_from: e.effectiveFrom,
  };
}

export type ListingOutcome = { event: 'LISTED' | 'EXTENDED'; eventId: number } | { event: null; eventId: null };

/** Cause code of a blacklist removal because every record behind the listing was withdrawn. */
export const EVIDENCE_WITHDRAWN = 'EVIDENCE_WITHDRAWN';
/** Cause code of a blacklist removal because its records were withdrawn or corrected into ones no criterion lists on. */
export const EVIDENCE_CORRECTED = 'EVIDENCE_CORRECTED';

/**
 * Evidence records that have already put this enterprise on the blacklist or kept it there, in any
 * listing but one lifted because its records were withdrawn or corrected away: such a record never
 * served a listing, and when a later review restores it (corrected back) it lists again.
 */
async function evidenceBehindListings(trx: Trx, code: string): Promise<Set<string>> {
  const events = await trx
    .selectFrom('blacklist_events')
    .select(['event', 'cause_code', 'evidence_ids'])
    .where('credit_code', '=', code)
    .orderBy('effective_from')
    .orderBy('id')
    .execute();
  const behind = new Set<string>();
  let listing: string[] = [];
  for (const e of events) {
    if (e.event === 'LISTED' || e.event === 'EXTENDED') listing.push(...e.evidence_ids);
    else if (e.event === 'REMOVED') {
      if (e.cause_code !== EVIDENCE_WITHDRAWN && e.cause_code !== EVIDENCE_CORRECTED) for (const ref of listing) behind.add(ref);
      listing = [];
    }
  }
  for (const ref of listing) behind.add(ref);
  return behind;
}

/**
 * Lists an enterprise on the blacklist for at least `minimumMonths` from the effective day, or, when
 * it is already listed, records the further offence or decision (EXTENDED) and moves the earliest
 * removal if the new term ends later (never earlier). A listing also
 * revokes a leader at once: a blacklisted enterprise cannot lead. Call inside a transaction.
 *
 * `onlyOnNewEvidence` (listings a rating proposes): one offence lists once. When every record the
 * listing rests on (or a record it corrects, src/evidence/supersession.ts) has already listed or
 * extended a listing of this enterprise, nothing happens, so
 * the next rating that still contains the same penalty neither prolongs the term (the 2016
 * memorandum: the record is updated after one year of good rectification) nor lists again after a
 * credit repair.
 */
export async function listOnBlacklist(trx: Trx, e: NewRegisterEvent, minimumMonths: number, options: { onlyOnNewEvidence?: boolean } = {}): Promise<ListingOutcome> {
  await lockRegisters(trx, e.creditCode);
  if (options.onlyOnNewEvidence && e.evidenceIds.length > 0) {
    // By offence, not by id: a corrected record (a new id superseding the old) is the same offence.
    const behindRefs = [...(await evidenceBehindListings(trx, e.creditCode))];
    const chains = await evidenceChains(trx as Db, [...behindRefs, ...e.evidenceIds]);
    const offence = (ref: string) => chains.get(ref)?.root ?? ref;
    const behind = new Set(behindRefs.map(offence));
    if (e.evidenceIds.every((ref) => behind.has(offence(ref)))) return { event: null, eventId: null };
  }
  const state = await blacklistStateOf(trx, e.creditCode, e.effectiveFrom);
  // Already listed until later: the listing is not prolonged, but it now also rests on this offence or
  // decision, so an EXTENDED event keeps the earliest removal and records it (lifting reads it, and
  // "one offence lists once" then knows the offence was punished) — unless the same rating already
  // wrote an event of this listing: its second criterion (the level, citing every veto's records) adds
  // no offence of its own.
  const proposed = addMonths(chinaDay(e.effectiveFrom), minimumMonths);
  const moves = !state.listed || state.earliestRemoval === null || proposed > state.earliestRemoval;
  if (!moves && e.sourceRatingId != null && state.listingEventId !== null) {
    const sameRating = await trx
      .selectFrom('blacklist_events')
      .select('id')
      .where('credit_code', '=', e.creditCode)
      .where('id', '>=', state.listingEventId)
      .where('source_rating_id', '=', e.sourceRatingId)
      .executeTakeFirst();
    if (sameRating) return { event: null, eventId: null };
  }
  const earliestRemoval = state.listed && state.earliestRemoval !== null && state.earliestRemoval > proposed ? state.earliestRemoval : proposed;
  const event = state.listed ? 'EXTENDED' : 'LISTED';
  const { id } = await trx
    .insertInto('blacklist_events')
    .values({ ...originColumns(e), event, earliest_removal: earliestRemoval })
    .returning('id')
    .executeTakeFirstOrThrow();
  await endLeadership(trx, { ...e, causeCode: LEADER_REVOCATION, cause: `Blacklisted (${e.causeCode}): ${e.cause}` }, 'REVOKED');
  return { event, eventId: Number(id) };
}

/** Removes an enterprise from the blacklist (credit repair or a bureau decision). */
export async function removeFromBlacklist(trx: Trx, e: NewRegisterEvent): Promise<number> {
  await lockRegisters(trx, e.creditCode);
  const state = await blacklistStateOf(trx, e.creditCode, e.effectiveFrom);
  if (!state.listed) throw appError('CONFLICT', `${e.creditCode} is not on the blacklist`, { field: 'input.creditCode' });
  const { id } = await trx.insertInto('blacklist_events').values({ ...originColumns(e), event: 'REMOVED', earliest_removal: null }).returning('id').executeTakeFirstOrThrow();
  return Number(id);
}

/** Lists a leader for `termMonths`, or extends the term of a current leader; `field`: the input a refusal names. */
export async function listLeader(trx: Trx, e: NewRegisterEvent, termMonths: number, field = 'input.creditCode'): Promise<ListingOutcome> {
  await lockRegisters(trx, e.creditCode);
  const blacklisted = await blacklistStateOf(trx, e.creditCode, e.effectiveFrom);
  if (blacklisted.listed) throw appError('CONFLICT', `${e.creditCode} is on the blacklist and cannot be a leader`, { field });
  const state = await leaderStateOf(trx, e.creditCode, e.effectiveFrom);
  const termEnd = addMonths(chinaDay(e.effectiveFrom), termMonths);
  if (state.leader && state.termEnd !== null && state.termEnd >= termEnd) return { event: null, eventId: null };
  const event = state.leader ? 'EXTENDED' : 'LISTED';
  const { id } = await trx.insertInto('leader_events').values({ ...originColumns(e), event, term_end: termEnd }).returning('id').executeTakeFirstOrThrow();
  return { event, eventId: Number(id) };
}

/** Ends a current leadership (REVOKED for a violation, REMOVED otherwise); null when not a leader. */
export async function endLeadership(trx: Trx, e: NewRegisterEvent, event: 'REVOKED' | 'REMOVED'): Promise<number | null> {
  await lockRegisters(trx, e.creditCode);
  const state = await leaderStateOf(trx, e.creditCode, e.effectiveFrom);
  if (!state.leader) return null;
  const { id } = await trx.insertInto('leader_events').values({ ...originColumns(e), event, term_end: null }).returning('id').executeTakeFirstOrThrow();
  return Number(id);
}

interface EffectiveRatingRow {
  id: number | string;
  credit_code: string;
  result: string;
  vetoes: string[];
  rule_set_id: string;
  rule_version: string;
  rule_hash: string;
}

/** The parts of a stored rating (its canonical JSON) that propose register changes. */
interface ProposingRating {
  blacklist?: BlacklistProposal[];
  leader?: LeaderProposal;
  vetoes?: { id: string; evidence: string[] }[];
  categories?: { indicators: { changes: { evidence: string[] }[] }[] }[];
}

/**
 * What a criterion on the level alone (BL_BLACK_LEVEL) rests on, since the rule engine names no
 * records for it: the vetoes' records when a veto forced the level, else every record that deducted
 * points. Stored on the proposal and the listing, so a later rating at the same level on the same
 * records does not list or extend again.
 */
function evidenceBehindLevel(rating: ProposingRating): string[] {
  const vetoEvidence = (rating.vetoes ?? []).flatMap((v) => v.evidence);
  const records = vetoEvidence.length > 0 ? vetoEvidence : (rating.categories ?? []).flatMap((c) => c.indicators.flatMap((i) => i.changes.flatMap((ch) => ch.evidence)));
  return [...new Set(records)].sort();
}

/**
 * Records the register proposals of ratings that just took effect (a publication or a dynamic
 * adjustment), in the caller's transaction. Automatic blacklist criteria list at once; a leader's
 * REVOKE, or any veto against a current leader, revokes at once; the rest wait for a bureau_admin.
 */
export async function recordRatingProposals(trx: Trx, ratings: { runId: number } | { ratingIds: readonly number[] }, actor: string, now: Date): Promise<void> {
  const which =
    'runId' in ratings
      ? sql`r.run_id = ${ratings.runId} and not exists (select 1 from ratings later where later.supersedes_id = r.id)`
      : sql`r.id = any(${ratings.ratingIds.map(String)}::bigint[])`;
  // Only ratings that may propose something are read and parsed; most of a run proposes nothing.
  const { rows } = await sql<EffectiveRatingRow>`
    select r.id, r.credit_code, r.result, r.vetoes, run.rule_set_id, run.rule_version, run.rule_hash
    from ratings r join rating_runs run on run.id = r.run_id
    where ${which}
      and (cardinality(r.vetoes) > 0
        or jsonb_array_length(r.result::jsonb -> 'blacklist') > 0
        or r.result::jsonb -> 'leader' ->> 'action' in ('NOMINATE', 'REVOKE'))
    order by r.id`.execute(trx);
  for (const row of rows) {
    const rating = JSON.parse(row.result) as ProposingRating;
    const code = row.credit_code.trim();
    const origin = { ruleSetId: row.rule_set_id, ruleVersion: row.rule_version, ruleHash: row.rule_hash, sourceRatingId: Number(row.id) };
    for (const p of rating.blacklist ?? []) {
      const evidence = p.evidence.length > 0 ? p.evidence : evidenceBehindLevel(rating);
      const proposalId = await insertProposal(trx, row, 'BLACKLIST', 'LIST', p.criterion, p.cause, evidence, p.minimumMonths, p.automatic, now);
      if (p.automatic && proposalId !== null) {
        const listing = { ...origin, proposalId, creditCode: code, causeCode: p.criterion, cause: p.cause, evidenceIds: evidence, decidedBy: actor, decidedAt: now, effectiveFrom: now };
        await listOnBlacklist(trx, listing, p.minimumMonths, { onlyOnNewEvidence: true });
      }
    }
    const leader = rating.leader;
    const vetoes = rating.vetoes ?? [];
    const isLeader = leader?.action === 'REVOKE' || (vetoes.length > 0 && (await leaderStateOf(trx, code, now)).leader);
    if (isLeader) {
      const reasons = leader?.action === 'REVOKE' ? leader.reasons : vetoes.map((v) => v.id);
      const evidence = [...new Set(vetoes.flatMap((v) => v.evidence))].sort();
      const cause = `Leadership revoked by rating: ${reasons.join(', ') || 'revocation criteria met'}`;
      const proposalId = await insertProposal(trx, row, 'LEADER', 'REVOKE', LEADER_REVOCATION, cause, evidence, null, true, now);
      await endLeadership(trx, { ...origin, proposalId, creditCode: code, causeCode: LEADER_REVOCATION, cause, evidenceIds: evidence, decidedBy: actor, decidedAt: now, effectiveFrom: now }, 'REVOKED');
    } else if (leader?.action === 'NOMINATE') {
      const cause = `Leader criteria met${leader.reasons.length ? ` (${leader.reasons.join(', ')})` : ''}`;
      await insertProposal(trx, row, 'LEADER', 'LIST', LEADER_NOMINATION, cause, [], leader.termMonths, false, now);
    }
  }
}

async function insertProposal(
  trx: Trx,
  rating: EffectiveRatingRow,
  register: RegisterKind,
  action: 'LIST' | 'REVOKE',
  causeCode: string,
  cause: string,
  evidence: readonly string[],
  termMonths: number | null,
  automatic: boolean,
  now: Date,
): Promise<number | null> {
  const inserted = await trx
    .insertInto('register_proposals')
    .values({
      register,
      action,
      credit_code: rating.credit_code.trim(),
      cause_code: causeCode,
      cause,
      evidence_ids: [...evidence],
      rule_set_id: rating.rule_set_id,
      rule_version: rating.rule_version,
      rule_hash: rating.rule_hash,
      rating_id: Number(rating.id),
      term_months: termMonths,
      automatic,
      proposed_at: now,
    })
    .onConflict((oc) => oc.constraint('register_proposals_once').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted ? Number(inserted.id) : null;
}

export interface ProposalDecision {
  proposalId: number;
  confirm: boolean;
  reason: string;
  decidedBy: string;
}

/** A bureau_admin confirms (the listing takes effect now) or dismisses a waiting proposal. */
export async function decideProposal(db: Db, d: ProposalDecision, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const proposal = await trx.selectFrom('register_proposals').selectAll().where('id', '=', d.proposalId).executeTakeFirst();
    if (!proposal) throw notFound(`register proposal ${d.proposalId}`, 'input.proposalId');
    const code = proposal.credit_code.trim();
    await lockRegisters(trx, code);
    if (proposal.automatic) throw appError('CONFLICT', `proposal ${proposal.id} was applied automatically; it needs no decision`, { field: 'input.proposalId' });
    const decided = await trx.selectFrom('register_proposal_decisions').select('decision').where('proposal_id', '=', proposal.id).executeTakeFirst();
    if (decided) throw appError('CONFLICT', `proposal ${proposal.id} was already ${decided.decision}`, { field: 'input.proposalId' });
    await trx
      .insertInto('register_proposal_decisions')
      .values({ proposal_id: proposal.id, decision: d.confirm ? 'CONFIRMED' : 'DISMISSED', reason: d.reason, decided_by: d.decidedBy, decided_at: now })
      .execute();
    if (!d.confirm) return;
    const event: NewRegisterEvent = {
      creditCode: code,
      causeCode: proposal.cause_code,
      cause: proposal.cause,
      evidenceIds: proposal.evidence_ids,
      ruleSetId: proposal.rule_set_id,
      ruleVersion: proposal.rule_version,
      ruleHash: proposal.rule_hash,
      sourceRatingId: Number(proposal.rating_id),
      proposalId: Number(proposal.id),
      decidedBy: d.decidedBy,
      decidedAt: now,
      effectiveFrom: now,
    };
    if (proposal.register === 'BLACKLIST') await listOnBlacklist(trx, event, proposal.term_months ?? 0);
    else if (proposal.action === 'LIST') {
      await refuseLeaderAfterLaterPenalty(trx, code, Number(proposal.rating_id), proposal.id);
      await listLeader(trx, event, proposal.term_months ?? 0, 'input.proposalId');
    }
    else await endLeadership(trx, event, 'REVOKED');
  });
}

/**
 * A nomination rests on a clean record up to the end of the rated period; a penalty decided after it
 * (known by now, not weighed by the rating) means the enterprise no longer qualifies: CONFLICT naming
 * it, so the bureau dismisses the proposal instead of listing a leader it would have to revoke.
 */
async function refuseLeaderAfterLaterPenalty(trx: Trx, code: string, ratingId: number, proposalId: number | string): Promise<void> {
  const later = await sql<{ id: string; decided_on: string }>`
    select v.id, v.decided_on::text as decided_on
    from violations v
    where v.credit_code = ${code} and not v.revoked
      and v.decided_on > (select run.period_end from ratings r join rating_runs run on run.id = r.run_id where r.id = ${ratingId})
      and not exists (select 1 from violations w where w.supersedes_id = v.id)
    order by v.decided_on, v.id
    limit 1`.execute(trx);
  const penalty = later.rows[0];
  if (penalty) {
    throw appError('CONFLICT', `proposal ${proposalId}: ${code} was penalised on ${penalty.decided_on} (violation:${penalty.id}), after the rated period; the nomination no longer holds`, {
      field: 'input.proposalId',
      evidence: `violation:${penalty.id}`,
    });
  }
}

export interface RepairApplication {
  creditCode: string;
  statement: string;
  evidenceIds: readonly string[];
  appliedBy: string;
}

/**
 * REPAIR_NOT_YET_POSSIBLE while the listing's minimum term runs: when the application is filed, and
 * again when it is approved, since a cause found in between may have extended the term.
 */
async function refuseRepairBeforeEarliestRemoval(trx: Trx, code: string, now: Date): Promise<void> {
  const state = await blacklistStateOf(trx, code, now);
  if (state.listed && state.earliestRemoval !== null && chinaDay(now) < state.earliestRemoval) {
    throw appError('REPAIR_NOT_YET_POSSIBLE', `credit repair for ${code} can be granted from ${state.earliestRemoval} (the minimum term of ${state.causeCode} has not passed)`, {
      field: 'input.creditCode',
      earliestDate: state.earliestRemoval,
      listedSince: state.listedSince?.toISOString() ?? null,
    });
  }
}

/**
 * Files a credit repair application. Refused while the enterprise is not listed, before the earliest
 * removal date (REPAIR_NOT_YET_POSSIBLE with `earliestDate`), or while another application is open.
 */
export async function applyForRepair(db: Db, a: RepairApplication, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockRegisters(trx, a.creditCode);
    const state = await blacklistStateOf(trx, a.creditCode, now);
    if (!state.listed) throw appError('CONFLICT', `${a.creditCode} is not on the blacklist; there is nothing to repair`, { field: 'input.creditCode' });
    await refuseRepairBeforeEarliestRemoval(trx, a.creditCode, now);
    const open = await openRepairApplication(trx, a.creditCode);
    if (open !== null) throw appError('CONFLICT', `repair application ${open} of ${a.creditCode} is still open`, { field: 'input.creditCode', openApplication: `repair:${open}` });
    const { id } = await trx
      .insertInto('repair_applications')
      .values({ credit_code: a.creditCode, statement: a.statement, evidence_ids: [...a.evidenceIds], applied_by: a.appliedBy, applied_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(id);
  });
}

async function openRepairApplication(trx: Trx, code: string): Promise<number | null> {
  const row = await trx
    .selectFrom('repair_applications as a')
    .leftJoin('repair_decisions as d', 'd.application_id', 'a.id')
    .select('a.id')
    .where('a.credit_code', '=', code)
    .where('d.id', 'is', null)
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

export interface RepairDecision {
  applicationId: number;
  approve: boolean;
  reason: string;
  decidedBy: string;
}

/** Approving removes the enterprise from the blacklist now (a REMOVED event citing the repair). */
export async function decideRepair(db: Db, d: RepairDecision, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const application = await trx.selectFrom('repair_applications').selectAll().where('id', '=', d.applicationId).executeTakeFirst();
    if (!application) throw notFound(`repair application ${d.applicationId}`, 'input.applicationId');
    const code = application.credit_code.trim();
    await lockRegisters(trx, code);
    const decided = await trx.selectFrom('repair_decisions').select('decision').where('application_id', '=', application.id).executeTakeFirst();
    if (decided) throw appError('CONFLICT', `repair application ${application.id} was already ${decided.decision}`, { field: 'input.applicationId' });
    if (d.approve) await refuseRepairBeforeEarliestRemoval(trx, code, now);
    await trx
      .insertInto('repair_decisions')
      .values({ application_id: application.id, decision: d.approve ? 'APPROVED' : 'REJECTED', reason: d.reason, decided_by: d.decidedBy, decided_at: now })
      .execute();
    if (!d.approve) return;
    await removeFromBlacklist(trx, {
      creditCode: code,
      causeCode: CREDIT_REPAIR,
      cause: CREDIT_REPAIR_APPROVED_CAUSE,
      evidenceIds: application.evidence_ids,
      repairApplicationId: Number(application.id),
      decidedBy: d.decidedBy,
      decidedAt: now,
      effectiveFrom: now,
    });
  });
}
