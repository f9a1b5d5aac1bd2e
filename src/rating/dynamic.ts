import type { Db } from '../db/database.ts';
import { databaseNow } from '../db/database-clock.ts';
import { lockEnterpriseForEffect, waitForBulkEvidenceWrites } from '../db/locks.ts';
import { evidencePayloadRefs, evidenceRecordedHooks } from '../evidence/evidence-schema.ts';
import { loadEvidenceSets, type EvidenceSet } from '../evidence/evidence-set.ts';
import { evidenceRef } from '../evidence/ids.ts';
import { recordRatingProposals } from '../registers/store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';
import type { Context } from '../graphql/context.ts';
import { builder } from '../graphql/builder.ts';
import type { CompiledRuleSet, Level, Rating, RuleRegistry } from '../rules/index.ts';
import type { Logger } from '../logger.ts';
import { evaluate, levelRank } from '../rules/engine.ts';
import { anyEffectTriggeredBy, effectiveRatingsAt, effectTriggeredBy, type EffectiveRating } from './effect-store.ts';
import { parsePeriod, type RatingPeriod } from './period.ts';
import type { RatedRow } from './evaluation-pool.ts';
import { EffectiveRatingRef } from './run-schema.ts';
import { rateEnterprise } from './runner.ts';
import { appendRunEvent, createRun, insertRatings } from './run-store.ts';
import { pinRuleVersion } from './rule-pins.ts';

/** A stored violation: what its dynamic adjustment needs to know of it. */
export interface StoredViolation {
  id: number;
  credit_code: string;
  decided_on: string;
}

/**
 * Dynamic adjustment (动态调整): a violation that hits a one-vote veto, moves points in an
 * indicator the rule file marks `dynamic`, or makes a leader revoke condition hold for a current
 * leader (a serious violation that is no veto), changes the enterprise's rating at once, without
 * waiting for the next annual run. The re-rating covers the twelve months ending with the decision's
 * month, under the rule version in force on the decision date, and takes
 * effect immediately, linked to the violation that triggered it.
 *
 * It only ever lowers the level in force: the policy re-rates after a serious event, to act on it
 * before the next annual rating. A window that no longer holds the offences behind the current level
 * (a veto of last year's rating, say) could otherwise raise a RED enterprise to GREEN because of a
 * new, smaller offence; such a re-rating is not made effective (the next annual rating weighs both).
 * That holds for a leader's serious violation too: a re-rating that would raise the level in force
 * revokes nothing, and the annual rating of the violation's year revokes the leader.
 */
export async function applyDynamicAdjustment(
  services: DynamicServices,
  violation: StoredViolation & { revoked?: unknown },
  options: { correcting?: readonly string[] } = {},
): Promise<boolean> {
  if (violation.revoked) return false;
  const { logger } = services;
  const ref = evidenceRef('violation', Number(violation.id));
  const code = violation.credit_code.trim();
  const decidedOn = String(violation.decided_on);
  return putRatingIntoEffect(services, code, ref, async (trx, current, evidenceAt) => {
    // A correction of an offence already acted on is weighed again while the rating in force is the
    // offence's own doing (an effect one of its versions triggered: its adjustment, its withdrawal's or
    // correction's re-rating) or still rests on it (cites a version): once a later rating that no longer
    // sees it has taken over, the offence was weighed, not to be punished again.
    const { correcting = [] } = options;
    const madeByOffence = current?.trigger_evidence ? correcting.includes(current.trigger_evidence) : false;
    if (correcting.length > 0 && !madeByOffence && !citesAny(current, correcting) && (await anyEffectTriggeredBy(trx, correcting))) return null;
    const rules = ruleVersionFor(services, current, decidedOn);
    if (!rules) {
      logger.warn({ code, ref }, 'dynamic adjustment skipped: no rule version in force on the decision date');
      return null;
    }
    const period = parsePeriod(decidedOn.slice(0, 7));
    const evidence = (await loadEvidenceSets(trx, [code], { knownAt: evidenceAt, standing: await evidenceStandingAt(trx, [code], evidenceAt) })).get(code)!;
    const { rating, row } = rateEnterprise(rules, evidence, period);
    const triggers = dynamicTriggers(rules, rating, ref, evidence);
    if (triggers.length === 0) return null;
    if (current && levelRank(row.level as Level) < levelRank(current.level as Level)) {
      logger.info({ code, ref, level: row.level, inForce: current.level }, 'dynamic adjustment not made effective: it would raise the level in force');
      return null;
    }
    return { rules, period, row, cause: 'DYNAMIC_ADJUSTMENT', detail: { triggers } };
  });
}

/** Whether a stored rating cites any of these evidence refs (its `evidence`: every record behind a point or a veto). */
function citesAny(rating: EffectiveRating | undefined, refs: readonly string[]): boolean {
  if (!rating) return false;
  const cited = new Set((JSON.parse(rating.result) as { evidence?: string[] }).evidence ?? []);
  return refs.some((ref) => cited.has(ref));
}

/** A rating to put into effect: what `decide` returns to putRatingIntoEffect. */
export interface EffectDecision {
  rules: CompiledRuleSet;
  period: RatingPeriod;
  row: RatedRow;
  cause: 'DYNAMIC_ADJUSTMENT' | 'CORRECTION';
  detail: Record<string, unknown>;
  /** Runs in the same transaction, after the effect (the stored rating's id) and its register proposals. */
  afterwards?: (trx: Db, ratingId: number) => Promise<void>;
}

/**
 * Stores one enterprise's rating as a run of its own (mode DYNAMIC) and puts it into effect now,
 * with the register proposals it makes, in one transaction. The enterprise's effects are serialised
 * (an advisory lock per enterprise): `decide` reads the rating in force and the evidence inside the
 * lock, so two violations recorded at once cannot each be weighed against a level the other is about
 * to replace. Once per triggering record: false when an effect already names it (the same record
 * sent twice, even at once), or when `decide` returns null.
 *
 * `decide` reads evidence as recorded by `evidenceAt`, the database's clock once the locks are held
 * (src/db/database-clock.ts), and the rating stores that instant; the effect itself dates from the
 * service's legal clock (`now`). The locks make that instant exact: no bulk write is in progress and
 * no single write of the enterprise is in flight (src/db/locks.ts), so a replay reads the same records.
 */
export async function putRatingIntoEffect(
  services: DynamicServices,
  code: string,
  trigger: string,
  decide: (trx: Db, current: EffectiveRating | undefined, evidenceAt: Date) => Promise<EffectDecision | null>,
): Promise<boolean> {
  const { db, now, actor } = services;
  return db.transaction().execute(async (trx) => {
    // Bulk writes first, then the enterprise, the order single writers take the same locks in.
    await waitForBulkEvidenceWrites(trx as Db);
    await lockEnterpriseForEffect(trx as Db, code);
    if (await effectTriggeredBy(trx as Db, trigger)) return false;
    const current = (await effectiveRatingsAt(trx as Db, [code], now)).get(code);
    const evidenceAt = await databaseNow(trx as Db);
    const decision = await decide(trx as Db, current, evidenceAt);
    if (!decision) return false;
    const { rules, period, row, cause } = decision;
    await pinRuleVersion(trx as Db, rules, actor);
    const runId = await createRun(trx as Db, {
      ruleSetId: rules.id,
      ruleVersion: rules.version,
      ruleHash: rules.contentHash,
      period: period.label,
      periodStart: period.start,
      periodEnd: period.end,
      mode: 'DYNAMIC',
      scope: { kind: 'CODES', codes: [code] },
      startedBy: actor,
    });
    await insertRatings(trx as Db, [{ ...row, runId, evidenceKnownAt: evidenceAt }]);
    const stored = await trx.selectFrom('ratings').select('id').where('run_id', '=', runId).executeTakeFirstOrThrow();
    await appendRunEvent(trx as Db, runId, 'DRAFTED', actor, { rated: 1, levels: { [row.level]: 1 }, trigger, ...decision.detail });
    await trx
      .insertInto('rating_effects')
      .values({ credit_code: code, rating_id: stored.id, effective_from: now, cause, trigger_evidence: trigger, decided_by: actor })
      .execute();
    await recordRatingProposals(trx as Db, { ratingIds: [Number(stored.id)] }, actor, now);
    await decision.afterwards?.(trx as Db, Number(stored.id));
    await appendRunEvent(trx as Db, runId, 'PUBLISHED', actor, { published: 1, effectiveFrom: now.toISOString(), cause });
    return true;
  });
}

/** What a dynamic adjustment needs: the database, the rules, and who and when (the service's clock). */
export interface DynamicServices {
  db: Db;
  rules: RuleRegistry;
  defaultRuleSetId: string;
  logger: Logger;
  now: Date;
  /** Recorded as the adjustment's actor. */
  actor: string;
}

/** A GraphQL request's services: its clock, and the officer who recorded the violation. */
export function dynamicServicesOf(context: Context): DynamicServices {
  return {
    db: context.db,
    rules: context.rules,
    defaultRuleSetId: context.config.defaultRuleSetId,
    logger: context.logger,
    now: context.clock.now(),
    actor: context.principal ? `dynamic-adjustment (recorded by ${context.principal.subject})` : 'dynamic-adjustment',
  };
}

/**
 * The dynamic adjustments of violations stored in bulk (an import's, src/rating/pending-adjustments.ts),
 * after they were committed: in decision order, so a later violation is weighed against the adjustment
 * an earlier one made. Returns how many took effect now; a violation an effect already names (made by
 * an earlier attempt that was interrupted) is skipped, as a replayed recordViolation skips it.
 */
export async function adjustForStoredViolations(services: DynamicServices, violations: readonly StoredViolation[]): Promise<number> {
  const candidates = await screenForTriggers(services, violations);
  const ordered = candidates.sort((a, b) => (a.decided_on < b.decided_on ? -1 : a.decided_on > b.decided_on ? 1 : a.id - b.id));
  let adjusted = 0;
  for (const violation of ordered) if (await applyDynamicAdjustment(services, violation)) adjusted += 1;
  return adjusted;
}

/** Enterprises whose evidence is read at once when screening an import's violations. */
const SCREEN_BATCH = 500;

/**
 * The violations that hit a veto or move a dynamic indicator, found in bulk: the evidence of up to
 * SCREEN_BATCH enterprises is read in one go, as a run reads it, and each violation evaluated in
 * memory. Most of an import's violations trigger nothing and cost no query of their own; the ones
 * kept are weighed again under their enterprise's lock when applied (applyDynamicAdjustment).
 */
async function screenForTriggers(services: DynamicServices, violations: readonly StoredViolation[]): Promise<StoredViolation[]> {
  const { db, now } = services;
  const byCode = new Map<string, StoredViolation[]>();
  for (const v of violations) {
    const code = v.credit_code.trim();
    byCode.set(code, [...(byCode.get(code) ?? []), v]);
  }
  const codes = [...byCode.keys()].sort();
  const evidenceAt = await databaseNow(db); // after the import's commit: its violations are recorded by then
  const kept: StoredViolation[] = [];
  let noRules = 0;
  for (let i = 0; i < codes.length; i += SCREEN_BATCH) {
    const batch = codes.slice(i, i + SCREEN_BATCH);
    const [inForce, sets] = await Promise.all([
      effectiveRatingsAt(db, batch, now),
      evidenceStandingAt(db, batch, evidenceAt).then((standing) => loadEvidenceSets(db, batch, { knownAt: evidenceAt, standing })),
    ]);
    for (const code of batch) {
      for (const violation of byCode.get(code)!) {
        const rules = ruleVersionFor(services, inForce.get(code), violation.decided_on);
        if (!rules) {
          noRules += 1;
          continue;
        }
        const period = parsePeriod(violation.decided_on.slice(0, 7));
        const evidence = sets.get(code)!;
        const rating = evaluate(rules, evidence, { period: { start: period.start, end: period.end }, asOf: period.end });
        if (dynamicTriggers(rules, rating, evidenceRef('violation', violation.id), evidence).length > 0) kept.push(violation);
      }
    }
  }
  if (noRules > 0) services.logger.warn({ violations: noRules }, 'dynamic adjustment skipped: no rule version in force on the decision date');
  return kept;
}

/**
 * What makes this record act at once: a veto it hits, an indicator marked `dynamic` it moves, or a
 * leader revoke condition it makes hold (`LEADER_REVOKED:<reason>`).
 */
export function dynamicTriggers(rules: CompiledRuleSet, rating: Rating, ref: string, evidence: EvidenceSet): string[] {
  const dynamicIndicators = new Set(
    [...rules.file.categories.flatMap((c) => c.indicators), ...rules.file.bonuses.indicators].filter((i) => i.dynamic).map((i) => i.id),
  );
  const vetoes = rating.vetoes.filter((v) => v.evidence.includes(ref)).map((v) => v.id);
  const indicators = rating.categories
    .flatMap((c) => c.indicators)
    .filter((i) => dynamicIndicators.has(i.id) && i.changes.some((change) => change.evidence.includes(ref)))
    .map((i) => i.id);
  return [...vetoes, ...indicators, ...leaderRevocationsBy(rules, rating, ref, evidence)];
}

/**
 * The revoke conditions this record makes hold for a current leader: met on the re-rating, and
 * either met by the record on its own (a serious penalty, even when another serious one was
 * recorded with it or went unacted on under an earlier version) or not met without it (the record
 * that tips a count). A serious violation ends a leadership as a veto does, at once; a later small
 * one does not re-rate the leader for an older penalty the version in force at the time did not act
 * on. Only a rating that revokes through a condition (rare) is evaluated again.
 */
function leaderRevocationsBy(rules: CompiledRuleSet, rating: Rating, ref: string, evidence: EvidenceSet): string[] {
  if (rating.leader.action !== 'REVOKE') return [];
  const conditionReasons = new Set(rules.leader.revoke.conditions.map((c) => c.reason));
  const met = rating.leader.reasons.filter((reason) => conditionReasons.has(reason));
  const record = evidence.violations.find((v) => v.id === ref);
  if (met.length === 0 || !record) return [];
  const reasonsWith = (violations: EvidenceSet['violations']) =>
    new Set(evaluate(rules, { ...evidence, violations }, { period: rating.period, asOf: rating.asOf }).leader.reasons);
  const metAlone = reasonsWith([record]);
  const metWithout = reasonsWith(evidence.violations.filter((v) => v.id !== ref));
  return met.filter((reason) => metAlone.has(reason) || !metWithout.has(reason)).map((reason) => `LEADER_REVOKED:${reason}`);
}

/** The set the enterprise is rated under (its current rating's, else the default), in force on the date. */
function ruleVersionFor(services: DynamicServices, current: EffectiveRating | undefined, date: string): CompiledRuleSet | undefined {
  const setId = current?.rule_set_id ?? services.defaultRuleSetId;
  return services.rules.effectiveOn(setId, date) ?? (current ? services.rules.get(current.rule_set_id, current.rule_version) : undefined);
}

// A correction (a row superseding a record) is weighed by correction.ts first, which adjusts after it.
evidenceRecordedHooks.push(async (context, kind, row) => {
  if (kind === 'violation' && (row as { supersedes_id?: unknown }).supersedes_id == null) await applyDynamicAdjustment(dynamicServicesOf(context), row as never);
});

builder.objectField(evidencePayloadRefs.get('violation')!, 'dynamicAdjustment', (t) =>
  t.field({
    type: EffectiveRatingRef,
    nullable: true,
    description: 'Set when this violation hit a one-vote veto, moved a dynamic indicator or met a leader revoke condition of the rules for a current leader, and re-rated the enterprise at once.',
    resolve: async (payload, _args, context) => {
      const effect = await effectTriggeredBy(context.db, evidenceRef('violation', Number(payload.row.id)));
      return effect?.cause === 'DYNAMIC_ADJUSTMENT' ? effect : null;
    },
  }),
);
