import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { evidencePayloadRefs, evidenceRecordedHooks, evidenceWithdrawnHooks, WithdrawEvidencePayload } from '../evidence/evidence-schema.ts';
import { loadEvidenceSets } from '../evidence/evidence-set.ts';
import { evidenceRef } from '../evidence/ids.ts';
import { earlierVersions, evidenceChains, offencesOf } from '../evidence/supersession.ts';
import { builder } from '../graphql/builder.ts';
import { blacklistStateOf, EVIDENCE_CORRECTED, EVIDENCE_WITHDRAWN, lockRegisters, removeFromBlacklist } from '../registers/store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';
import { adjustForStoredViolations, applyDynamicAdjustment, dynamicServicesOf, putRatingIntoEffect, type DynamicServices, type StoredViolation } from './dynamic.ts';
import { effectTriggeredBy, ratingHistory, type EffectiveRating } from './effect-store.ts';
import { parsePeriod } from './period.ts';
import { rateEnterprise } from './runner.ts';
import { EffectiveRatingRef } from './run-schema.ts';

/** A record that stopped counting as it was: withdrawn, or replaced by a correction. */
export interface EvidenceChange {
  creditCode: string;
  /** The record withdrawn or corrected. */
  replacedRef: string;
  /** The row that did it (the withdrawal, or the correcting record): the effect's trigger. */
  triggerRef: string;
  change: 'WITHDRAWN' | 'CORRECTED';
}

/**
 * Correction: a record withdrawn (a penalty annulled on administrative review) stops counting at
 * once, and a record corrected (re-qualified on review, say) counts as corrected at once, not at the
 * next annual rating. The enterprise is rated again for the period of its rating in force under the
 * same rule version — or, when that rating is the record's own doing, of the rating it replaced
 * (ratingBefore) — on its evidence as it is now, and when the result differs that rating takes effect
 * (cause CORRECTION), whichever way it moves. A blacklisting that no longer rests on any record is
 * lifted in the same transaction (liftListingNoLongerSupported); then the violations after the
 * corrected period that no effect names are weighed again (each adjustment in its own transaction).
 * Returns whether a correction took effect.
 */
export async function correctForChangedEvidence(services: DynamicServices, changed: EvidenceChange): Promise<boolean> {
  const { db, logger } = services;
  const code = changed.creditCode;
  const versions = [changed.replacedRef, ...(await earlierVersions(db, changed.replacedRef))];
  let correctedPeriodEnd: string | null = null;
  const corrected = await putRatingIntoEffect(services, code, changed.triggerRef, async (trx, current, evidenceAt) => {
    if (!current) return null;
    // As if the record had never been as it was: a rating the record itself put into effect (its
    // dynamic adjustment, or an earlier correction of it) gives way to the one it replaced, re-rated.
    const base = (await ratingBefore(trx, current, versions)) ?? current;
    const rules = services.rules.get(base.rule_set_id, base.rule_version);
    if (!rules) {
      logger.error({ code, ...changed }, `correction skipped: rule version ${base.rule_set_id}/${base.rule_version} is not loaded`);
      return null;
    }
    const period = parsePeriod(base.period);
    const evidence = (await loadEvidenceSets(trx, [code], { knownAt: evidenceAt, standing: await evidenceStandingAt(trx, [code], evidenceAt) })).get(code)!;
    const { row } = rateEnterprise(rules, evidence, period);
    // The rating in force may use the record without listing it (a veto on the count of penalties,
    // the leader's clean record): it is rated again whenever one of its records changes, and corrected
    // when the result differs.
    if (row.resultHash === current.result_hash) return null;
    correctedPeriodEnd = period.end;
    const what = changed.change === 'WITHDRAWN' ? { withdrawn: changed.replacedRef } : { corrected: changed.replacedRef, correction: changed.triggerRef };
    return {
      rules,
      period,
      row,
      cause: 'CORRECTION',
      detail: { ...what, replaces: `rating:${current.id}`, ...(base === current ? {} : { reratedFrom: `rating:${base.id}` }) },
      afterwards: async (t, ratingId) => liftListingNoLongerSupported(t, code, services, await offencesStillListing(t, ratingId)),
    };
  });
  // A listing outlives the rating that made it: it may rest on the record though no rating in force uses it.
  if (!corrected) await db.transaction().execute((trx) => liftListingNoLongerSupported(trx as Db, code, services, null));
  // Violations after the corrected rating's period that no effect names were weighed against the level
  // the record had caused (an adjustment that would have raised it was not made): weigh them again —
  // also when this is a replay whose correction was made before (the weighing may be what failed).
  const periodEnd = correctedPeriodEnd ?? (await correctionPeriodEnd(db, changed.triggerRef));
  if (periodEnd !== null) await adjustForStoredViolations(services, await violationsNoEffectNames(db, code, periodEnd));
  return corrected;
}

/** The period end of the correction this record already triggered, if any. */
async function correctionPeriodEnd(db: Db, triggerRef: string): Promise<string | null> {
  const effect = await effectTriggeredBy(db, triggerRef);
  return effect?.cause === 'CORRECTION' ? parsePeriod(effect.period).end : null;
}

/** How far back ratingBefore looks for the rating in force before the record's own effects. */
const EFFECTS_LOOKED_BACK = 50;

/**
 * The rating that was in force before the effects this record's versions triggered (the rating its
 * dynamic adjustment replaced, say), or undefined when the rating in force is not one of them or none
 * came before.
 */
async function ratingBefore(trx: Db, current: EffectiveRating, versions: readonly string[]): Promise<EffectiveRating | undefined> {
  if (!current.trigger_evidence || !versions.includes(current.trigger_evidence)) return undefined;
  const earlier = await ratingHistory(trx, current.credit_code, EFFECTS_LOOKED_BACK, current.effect_id);
  return earlier.find((effect) => !effect.trigger_evidence || !versions.includes(effect.trigger_evidence));
}

/** Current violations of the enterprise decided after `day` that no rating effect names (bounded). */
async function violationsNoEffectNames(db: Db, code: string, day: string): Promise<StoredViolation[]> {
  const { rows } = await sql<{ id: string; credit_code: string; decided_on: string }>`
    select v.id, v.credit_code, v.decided_on::text as decided_on from violations v
    where v.credit_code = ${code} and not v.revoked and v.decided_on > ${day}::date
      and not exists (select 1 from violations later where later.supersedes_id = v.id)
      and not exists (select 1 from rating_effects f where f.credit_code = v.credit_code and f.trigger_evidence = 'violation:' || v.id)
    order by v.decided_on, v.id
    limit ${LATER_VIOLATIONS_WEIGHED}`.execute(db);
  // A correction of an offence acted on before is weighed again too: letting a standing veto escape
  // is worse than a listing restarted (docs/RATING.md, Correction, known limits).
  return rows.map((r) => ({ id: Number(r.id), credit_code: r.credit_code.trim(), decided_on: r.decided_on }));
}

/** Violations weighed again after a correction: far more than one enterprise has in a year. */
const LATER_VIOLATIONS_WEIGHED = 500;

/** The offences the blacklist proposals of a rating rest on (src/evidence/supersession.ts). */
async function offencesStillListing(trx: Db, ratingId: number): Promise<Set<string>> {
  const proposals = await trx.selectFrom('register_proposals').select('evidence_ids').where('rating_id', '=', ratingId).where('register', '=', 'BLACKLIST').execute();
  return offencesOf(trx, proposals.flatMap((p) => p.evidence_ids));
}

/**
 * Removes the current listing when none of its events (LISTED, EXTENDED) still stands. An event
 * stands while any of its records stands: not withdrawn (following its corrections to the latest),
 * and, if corrected, still proposed for listing by the corrected rating just made (`stillListing`,
 * the offences its blacklist proposals rest on) — but only for an event a rating listed by itself
 * (an automatic proposal). A listing the bureau decided or confirmed, or a correction with no new
 * rating to judge it, is the bureau's to lift: only withdrawals end it.
 */
async function liftListingNoLongerSupported(trx: Db, code: string, services: DynamicServices, stillListing: ReadonlySet<string> | null): Promise<void> {
  await lockRegisters(trx, code); // the state read below stays true until this transaction ends
  const state = await blacklistStateOf(trx, code, services.now);
  if (!state.listed || state.listingEventId === null) return;
  const events = await trx
    .selectFrom('blacklist_events as e')
    .leftJoin('register_proposals as p', 'p.id', 'e.proposal_id')
    .select(['e.evidence_ids', 'p.automatic'])
    .where('e.credit_code', '=', code)
    .where('e.id', '>=', state.listingEventId)
    .where('e.event', 'in', ['LISTED', 'EXTENDED'])
    .execute();
  const refs = [...new Set(events.flatMap((e) => e.evidence_ids))];
  if (refs.length === 0 || events.some((e) => e.evidence_ids.length === 0)) return; // a listing on no record is the bureau's to lift
  // Only the enterprise's own records: a listing citing another's record is not lifted by its withdrawal.
  const chains = await evidenceChains(trx, refs, code);
  const stands = (ref: string, listedByRating: boolean): boolean => {
    const chain = chains.get(ref);
    if (!chain) return true; // not an evidence record: the bureau's to judge
    if (chain.withdrawn) return false;
    if (chain.latest === ref || !listedByRating || stillListing === null) return true;
    return stillListing.has(chain.root);
  };
  if (events.some((e) => e.evidence_ids.some((ref) => stands(ref, e.automatic === true)))) return;
  const allWithdrawn = refs.every((ref) => chains.get(ref)!.withdrawn);
  // The public register shows the cause: it names no evidence (the ids are in evidence_ids).
  await removeFromBlacklist(trx, {
    creditCode: code,
    causeCode: allWithdrawn ? EVIDENCE_WITHDRAWN : EVIDENCE_CORRECTED,
    cause: allWithdrawn
      ? 'Every record behind the listing was withdrawn'
      : 'Every record behind the listing was withdrawn or corrected on review, and the corrected rating meets no blacklist criterion on them',
    evidenceIds: refs,
    decidedBy: services.actor,
    decidedAt: services.now,
    effectiveFrom: services.now,
  });
}

evidenceWithdrawnHooks.push(async (context, withdrawal) => {
  const services = { ...dynamicServicesOf(context), actor: `correction (withdrawal recorded by ${context.principal?.subject ?? 'unknown'})` };
  await correctForChangedEvidence(services, { creditCode: withdrawal.creditCode, replacedRef: withdrawal.withdrawnRef, triggerRef: withdrawal.withdrawalRef, change: 'WITHDRAWN' });
});

// A correcting record. A corrected violation is first weighed for a dynamic adjustment of its own, as
// a new one would be: its twelve months, which may not be the rating in force's period (a date fixed
// into a later month) — unless the offence was acted on before and a later rating has taken over since
// (applyDynamicAdjustment's `correcting`). Only when that takes no effect is the rating in force
// corrected: re-rated for its period on the corrected evidence, either way. Both use the correcting record as the trigger, so the
// record sent again changes nothing twice.
evidenceRecordedHooks.push(async (context, kind, row) => {
  const supersedes = (row as { supersedes_id?: unknown }).supersedes_id;
  if (supersedes == null || (row as { revoked?: unknown }).revoked) return;
  if (kind === 'violation') {
    const correcting = await earlierVersions(context.db, evidenceRef(kind, Number(row.id)));
    if (await applyDynamicAdjustment(dynamicServicesOf(context), row as never, { correcting })) return;
  }
  const creditCode = String((row as { credit_code: string }).credit_code).trim();
  const services = { ...dynamicServicesOf(context), actor: `correction (recorded by ${context.principal?.subject ?? 'unknown'})` };
  await correctForChangedEvidence(services, { creditCode, replacedRef: evidenceRef(kind, Number(supersedes)), triggerRef: evidenceRef(kind, Number(row.id)), change: 'CORRECTED' });
});

builder.objectField(WithdrawEvidencePayload, 'correction', (t) =>
  t.field({
    type: EffectiveRatingRef,
    nullable: true,
    description:
      'Set when withdrawing the record changed the rating in force: the enterprise re-rated without it. A later violation weighed again afterwards may have put an adjustment into effect since (enterprise { rating } gives the rating in force).',
    resolve: async (payload, _args, context) => (await effectTriggeredBy(context.db, payload.id)) ?? null,
  }),
);

for (const [kind, payload] of evidencePayloadRefs) {
  builder.objectField(payload, 'correction', (t) =>
    t.field({
      type: EffectiveRatingRef,
      nullable: true,
      description:
        'Set when this record corrects another (supersedesId) and that changed the rating in force: the enterprise re-rated for the same period on the corrected evidence, in effect now.',
      resolve: async (p, _args, context) => {
        const effect = await effectTriggeredBy(context.db, evidenceRef(kind, Number(p.row.id)));
        return effect?.cause === 'CORRECTION' ? effect : null;
      },
    }),
  );
}
