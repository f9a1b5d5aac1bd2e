import type { Db } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { evidenceWithdrawnHooks, WithdrawEvidencePayload } from '../evidence/evidence-schema.ts';
import { loadEvidenceSets } from '../evidence/evidence-set.ts';
import { parseEvidenceRef } from '../evidence/ids.ts';
import { builder } from '../graphql/builder.ts';
import { blacklistStateOf, lockRegisters, removeFromBlacklist } from '../registers/store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';
import { dynamicServicesOf, putRatingIntoEffect, type DynamicServices } from './dynamic.ts';
import { effectTriggeredBy } from './effect-store.ts';
import { parsePeriod } from './period.ts';
import { rateEnterprise } from './runner.ts';
import { EffectiveRatingRef } from './run-schema.ts';

/** Cause code of a blacklist removal because every record behind the listing was withdrawn. */
export const EVIDENCE_WITHDRAWN = 'EVIDENCE_WITHDRAWN';

/**
 * Correction: a record withdrawn (a penalty annulled on administrative review) stops counting at
 * once, not at the next annual rating. The enterprise is rated again for the period of its rating in
 * force under the same rule version, on its evidence as it is now, and when the result differs that
 * rating takes effect (cause CORRECTION), whichever way it moves. A blacklisting that rested only
 * on withdrawn records is lifted in the same transaction (cause EVIDENCE_WITHDRAWN). Returns whether
 * a correction took effect.
 */
export async function correctForWithdrawal(services: DynamicServices, withdrawal: { creditCode: string; withdrawnRef: string; withdrawalRef: string }): Promise<boolean> {
  const { db, logger } = services;
  const code = withdrawal.creditCode;
  const corrected = await putRatingIntoEffect(services, code, withdrawal.withdrawalRef, async (trx, current, evidenceAt) => {
    if (!current) return null;
    const rules = services.rules.get(current.rule_set_id, current.rule_version);
    if (!rules) {
      logger.error({ code, ...withdrawal }, `correction skipped: rule version ${current.rule_set_id}/${current.rule_version} is not loaded`);
      return null;
    }
    const period = parsePeriod(current.period);
    const evidence = (await loadEvidenceSets(trx, [code], { knownAt: evidenceAt, standing: await evidenceStandingAt(trx, [code], evidenceAt) })).get(code)!;
    const { row } = rateEnterprise(rules, evidence, period);
    // The rating in force may use the record without listing it (a veto on the count of penalties,
    // the leader's clean record): it is rated again whenever one of its records goes, and corrected
    // when the result differs.
    if (row.resultHash === current.result_hash) return null;
    return {
      rules,
      period,
      row,
      cause: 'CORRECTION',
      detail: { withdrawn: withdrawal.withdrawnRef, replaces: `rating:${current.id}` },
      afterwards: (t) => liftListingWithoutEvidence(t, code, services),
    };
  });
  // A listing outlives the rating that made it: it may rest on the record though no rating in force uses it.
  if (!corrected) await db.transaction().execute((trx) => liftListingWithoutEvidence(trx as Db, code, services));
  return corrected;
}

/** Removes the current listing when every record it rests on (its LISTED and EXTENDED events) is withdrawn. */
async function liftListingWithoutEvidence(trx: Db, code: string, services: DynamicServices): Promise<void> {
  await lockRegisters(trx, code); // the state read below stays true until this transaction ends
  const state = await blacklistStateOf(trx, code, services.now);
  if (!state.listed || state.listingEventId === null) return;
  const events = await trx
    .selectFrom('blacklist_events')
    .select('evidence_ids')
    .where('credit_code', '=', code)
    .where('id', '>=', state.listingEventId)
    .where('event', 'in', ['LISTED', 'EXTENDED'])
    .execute();
  const refs = [...new Set(events.flatMap((e) => e.evidence_ids))];
  if (refs.length === 0 || events.some((e) => e.evidence_ids.length === 0)) return; // a listing on no record is the bureau's to lift
  for (const ref of refs) if (!(await isWithdrawn(trx, ref))) return;
  await removeFromBlacklist(trx, {
    creditCode: code,
    causeCode: EVIDENCE_WITHDRAWN,
    cause: `Every record behind the listing was withdrawn: ${refs.join(', ')}`.slice(0, 2000),
    evidenceIds: refs,
    decidedBy: services.actor,
    decidedAt: services.now,
    effectiveFrom: services.now,
  });
}

/** True when a withdrawal (a revoked row) supersedes the record; a reference that is not an evidence id never is. */
async function isWithdrawn(trx: Db, ref: string): Promise<boolean> {
  let parsed: ReturnType<typeof parseEvidenceRef>;
  try {
    parsed = parseEvidenceRef(ref, 'evidenceIds');
  } catch {
    return false;
  }
  const row = await trx
    .selectFrom(EVIDENCE_TABLES[parsed.kind] as 'violations')
    .select('id')
    .where('supersedes_id', '=', parsed.id)
    .where('revoked', '=', true)
    .executeTakeFirst();
  return row !== undefined;
}

evidenceWithdrawnHooks.push(async (context, withdrawal) => {
  await correctForWithdrawal({ ...dynamicServicesOf(context), actor: `correction (withdrawal recorded by ${context.principal?.subject ?? 'unknown'})` }, withdrawal);
});

builder.objectField(WithdrawEvidencePayload, 'correction', (t) =>
  t.field({
    type: EffectiveRatingRef,
    nullable: true,
    description: 'Set when withdrawing the record changed the rating in force: the enterprise re-rated for the same period without it, in effect now.',
    resolve: async (payload, _args, context) => (await effectTriggeredBy(context.db, payload.id)) ?? null,
  }),
);
