import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { evidencePayloadRefs, evidenceRecordedHooks } from '../evidence/evidence-schema.ts';
import { loadEvidenceSets } from '../evidence/evidence-set.ts';
import { evidenceRef } from '../evidence/ids.ts';
import { recordRatingProposals } from '../registers/store.ts';
import { evidenceStandingAt } from '../registers/standing.ts';
import type { Context } from '../graphql/context.ts';
import { builder } from '../graphql/builder.ts';
import type { CompiledRuleSet, Level, Rating } from '../rules/index.ts';
import { levelRank } from '../rules/engine.ts';
import { effectiveRatingsAt, effectTriggeredBy, type EffectiveRating } from './effect-store.ts';
import { parsePeriod } from './period.ts';
import { EffectiveRatingRef } from './run-schema.ts';
import { rateEnterprise } from './runner.ts';
import { appendRunEvent, createRun, insertRatings } from './run-store.ts';
import { pinRuleVersion } from './rule-pins.ts';

/**
 * Dynamic adjustment (动态调整): a violation that hits a one-vote veto, or moves points in an
 * indicator the rule file marks `dynamic`, changes the enterprise's
 * rating at once, without waiting for the next annual run. The re-rating covers the twelve months
 * ending with the decision's month, under the rule version in force on the decision date, and takes
 * effect immediately, linked to the violation that triggered it.
 *
 * It only ever lowers the level in force: the policy re-rates after a serious event, to act on it
 * before the next annual rating. A window that no longer holds the offences behind the current level
 * (a veto of last year's rating, say) could otherwise raise a RED enterprise to GREEN because of a
 * new, smaller offence; such a re-rating is not made effective (the next annual rating weighs both).
 */
export async function applyDynamicAdjustment(context: Context, violation: { id: number; credit_code: string; decided_on: unknown; revoked?: unknown }): Promise<void> {
  if (violation.revoked) return;
  const ref = evidenceRef('violation', Number(violation.id));
  const code = violation.credit_code.trim();
  const decidedOn = String(violation.decided_on);
  const now = context.clock.now();
  const current = (await effectiveRatingsAt(context.db, [code], now)).get(code);
  const rules = ruleVersionFor(context, current, decidedOn);
  if (!rules) {
    context.logger.warn({ code, ref }, 'dynamic adjustment skipped: no rule version in force on the decision date');
    return;
  }
  const period = parsePeriod(decidedOn.slice(0, 7));
  const evidence = (await loadEvidenceSets(context.db, [code], { knownAt: now, standing: await evidenceStandingAt(context.db, [code], now) })).get(code)!;
  const { rating, row } = rateEnterprise(rules, evidence, period);
  const triggers = dynamicTriggers(rules, rating, ref);
  if (triggers.length === 0) return;
  if (current && levelRank(row.level as Level) < levelRank(current.level as Level)) {
    context.logger.info({ code, ref, level: row.level, inForce: current.level }, 'dynamic adjustment not made effective: it would raise the level in force');
    return;
  }
  const actor = context.principal ? `dynamic-adjustment (recorded by ${context.principal.subject})` : 'dynamic-adjustment';
  await pinRuleVersion(context.db, rules, actor);
  await context.db.transaction().execute(async (trx) => {
    // One adjustment per triggering record, even when the same record is sent twice at once.
    await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:dynamic:${ref}`}))`.execute(trx);
    if (await effectTriggeredBy(trx as Db, ref)) return;
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
    await insertRatings(trx as Db, [{ ...row, runId, evidenceKnownAt: now }]);
    const stored = await trx.selectFrom('ratings').select('id').where('run_id', '=', runId).executeTakeFirstOrThrow();
    await appendRunEvent(trx as Db, runId, 'DRAFTED', actor, { rated: 1, levels: { [row.level]: 1 }, trigger: ref, triggers });
    await trx
      .insertInto('rating_effects')
      .values({ credit_code: code, rating_id: stored.id, effective_from: now, cause: 'DYNAMIC_ADJUSTMENT', trigger_evidence: ref, decided_by: actor })
      .execute();
    await recordRatingProposals(trx as Db, { ratingIds: [Number(stored.id)] }, actor, now);
    await appendRunEvent(trx as Db, runId, 'PUBLISHED', actor, { published: 1, effectiveFrom: now.toISOString(), cause: 'DYNAMIC_ADJUSTMENT' });
  });
}

/** What makes this record act at once: a veto it hits, or an indicator marked `dynamic` it moves. */
function dynamicTriggers(rules: CompiledRuleSet, rating: Rating, ref: string): string[] {
  const dynamicIndicators = new Set(
    [...rules.file.categories.flatMap((c) => c.indicators), ...rules.file.bonuses.indicators].filter((i) => i.dynamic).map((i) => i.id),
  );
  const vetoes = rating.vetoes.filter((v) => v.evidence.includes(ref)).map((v) => v.id);
  const indicators = rating.categories
    .flatMap((c) => c.indicators)
    .filter((i) => dynamicIndicators.has(i.id) && i.changes.some((change) => change.evidence.includes(ref)))
    .map((i) => i.id);
  return [...vetoes, ...indicators];
}

/** The set the enterprise is rated under (its current rating's, else the default), in force on the date. */
function ruleVersionFor(context: Context, current: EffectiveRating | undefined, date: string): CompiledRuleSet | undefined {
  const setId = current?.rule_set_id ?? context.config.defaultRuleSetId;
  return context.rules.effectiveOn(setId, date) ?? (current ? context.rules.get(current.rule_set_id, current.rule_version) : undefined);
}

evidenceRecordedHooks.push(async (context, kind, row) => {
  if (kind === 'violation') await applyDynamicAdjustment(context, row as never);
});

builder.objectField(evidencePayloadRefs.get('violation')!, 'dynamicAdjustment', (t) =>
  t.field({
    type: EffectiveRatingRef,
    nullable: true,
    description: 'Set when this violation hit a one-vote veto (or a dynamic indicator) and re-rated the enterprise at once.',
    resolve: async (payload, _args, context) => (await effectTriggeredBy(context.db, evidenceRef('violation', Number(payload.row.id)))) ?? null,
  }),
);
