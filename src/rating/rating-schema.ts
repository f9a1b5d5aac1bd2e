import { actorName } from '../auth/principal.ts';
import { builder } from '../graphql/builder.ts';
import { currentEvidenceSet } from '../registers/standing.ts';
import { findEnterprise } from '../evidence/enterprise-store.ts';
import { notFound } from '../errors.ts';
import { requireCreditCode } from '../evidence/validate.ts';
import type { BlacklistProposal, CategoryResult, IndicatorResult, PointChange, Rating, VetoHit } from '../rules/index.ts';
import { CreditLevel } from '../rules/rules-schema.ts';
import { parsePeriod, previousCalendarYear } from './period.ts';
import { rateEnterprise, requireRuleVersion } from './runner.ts';

/**
 * A rating as the engine produced it: the canonical JSON is the record, every other field is read
 * from it, so what GraphQL shows is exactly what was stored and hashed.
 */
export interface RatingView {
  rating: Rating;
  json: string;
  hash: string;
  /** Set for stored ratings. */
  id?: number;
  runId?: number;
  createdAt?: Date;
}

const PointChangeRef = builder.objectRef<PointChange>('PointChange').implement({
  description: 'One movement of points and the evidence records that produced it.',
  fields: (t) => ({
    reason: t.exposeString('reason'),
    points: t.exposeFloat('points', { description: 'Negative for a deduction, positive for a bonus (before caps).' }),
    evidence: t.stringList({ description: 'Evidence ids, e.g. violation:42.', resolve: (c) => c.evidence }),
    escalation: t.string({
      nullable: true,
      resolve: (c) => (c.escalation ? `${c.escalation.reason} (offence ${c.escalation.ordinal}, x${c.escalation.multiplier})` : null),
    }),
    note: t.string({ nullable: true, resolve: (c) => c.note }),
  }),
});

const IndicatorResultRef = builder.objectRef<IndicatorResult>('IndicatorResult').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    title: t.exposeString('title'),
    basis: t.exposeString('basis'),
    cap: t.float({ nullable: true, resolve: (i) => i.cap }),
    raw: t.exposeFloat('raw', { description: 'Sum of the changes before the cap.' }),
    points: t.exposeFloat('points', { description: 'What the indicator contributes after its cap.' }),
    changes: t.field({ type: [PointChangeRef], resolve: (i) => i.changes }),
  }),
});

const CategoryResultRef = builder.objectRef<CategoryResult>('CategoryResult').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    title: t.exposeString('title'),
    cap: t.float({ nullable: true, resolve: (c) => c.cap }),
    raw: t.exposeFloat('raw'),
    points: t.exposeFloat('points'),
    indicators: t.field({ type: [IndicatorResultRef], resolve: (c) => c.indicators }),
  }),
});

const VetoHitRef = builder.objectRef<VetoHit>('VetoHit').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    title: t.exposeString('title'),
    forcesLevel: t.field({ type: CreditLevel, resolve: (v) => v.forcesLevel }),
    evidence: t.stringList({ resolve: (v) => v.evidence }),
  }),
});

const BlacklistProposalRef = builder.objectRef<BlacklistProposal>('BlacklistProposal').implement({
  fields: (t) => ({
    criterion: t.exposeString('criterion'),
    cause: t.exposeString('cause'),
    minimumMonths: t.exposeInt('minimumMonths'),
    automatic: t.exposeBoolean('automatic'),
    evidence: t.stringList({ resolve: (p) => p.evidence }),
  }),
});

const RuleVersionRef = builder.objectRef<Rating['ruleSet']>('RuleVersionRef').implement({
  description: 'The rule file a rating came from.',
  fields: (t) => ({
    id: t.exposeString('id'),
    version: t.exposeString('version'),
    contentHash: t.exposeString('contentHash'),
  }),
});

export const RatingRef = builder.objectRef<RatingView>('Rating').implement({
  description: 'A score and level with every point traced to the evidence that produced it.',
  authScopes: (view) => ({ bureau: true, enterpriseSelf: view.rating.creditCode }),
  fields: (t) => ({
    id: t.id({ nullable: true, description: 'rating:<n> for stored ratings; null for a preview.', resolve: (v) => (v.id ? `rating:${v.id}` : null) }),
    runId: t.id({ nullable: true, resolve: (v) => (v.runId ? `run:${v.runId}` : null) }),
    creditCode: t.string({ resolve: (v) => v.rating.creditCode }),
    ruleSet: t.field({ type: RuleVersionRef, resolve: (v) => v.rating.ruleSet }),
    periodStart: t.field({ type: 'Date', resolve: (v) => v.rating.period.start }),
    periodEnd: t.field({ type: 'Date', resolve: (v) => v.rating.period.end }),
    asOf: t.field({ type: 'Date', resolve: (v) => v.rating.asOf }),
    score: t.float({ resolve: (v) => v.rating.score }),
    level: t.field({ type: CreditLevel, resolve: (v) => v.rating.level }),
    scoreLevel: t.field({ type: CreditLevel, description: 'The level the score alone gives (a veto may force a worse one).', resolve: (v) => v.rating.scoreLevel }),
    baseScore: t.float({ resolve: (v) => v.rating.baseScore }),
    deductionPoints: t.float({ resolve: (v) => v.rating.deductionPoints }),
    bonusPoints: t.float({ resolve: (v) => v.rating.bonusPoints }),
    vetoes: t.field({ type: [VetoHitRef], resolve: (v) => v.rating.vetoes }),
    categories: t.field({ type: [CategoryResultRef], resolve: (v) => v.rating.categories }),
    bonuses: t.field({ type: [IndicatorResultRef], resolve: (v) => v.rating.bonuses.indicators }),
    blacklistProposals: t.field({ type: [BlacklistProposalRef], resolve: (v) => v.rating.blacklist }),
    leaderProposal: t.string({ description: 'NOMINATE, KEEP, REVOKE or NONE.', resolve: (v) => v.rating.leader.action }),
    reasons: t.stringList({ resolve: (v) => v.rating.reasons }),
    evidence: t.stringList({ description: 'Every evidence id that moved a point or hit a veto.', resolve: (v) => v.rating.evidence }),
    resultJson: t.string({ description: 'The canonical JSON the engine produced (what resultHash covers).', resolve: (v) => v.json }),
    resultHash: t.string({ resolve: (v) => v.hash }),
    createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.createdAt ?? null }),
  }),
});

export function ratingViewFromStored(row: { id: number; run_id: number; result: string; result_hash: string; created_at: Date }): RatingView {
  return { rating: JSON.parse(row.result) as Rating, json: row.result, hash: row.result_hash, id: Number(row.id), runId: Number(row.run_id), createdAt: row.created_at };
}

builder.queryField('ratingPreview', (t) =>
  t.field({
    type: RatingRef,
    description: 'A dry run: rates one enterprise on its current evidence under a rule version, storing nothing.',
    authScopes: { bureau: true },
    args: {
      creditCode: t.arg.string({ required: true }),
      ruleSetId: t.arg.string({ required: true }),
      version: t.arg.string({ required: true }),
      period: t.arg.string({ description: 'YYYY (calendar year) or YYYY-MM (12 months ending then); default the previous calendar year.' }),
    },
    resolve: async (_root, args, context) => {
      const code = requireCreditCode(args.creditCode, 'creditCode');
      const rules = requireRuleVersion(context.rules, args.ruleSetId, args.version);
      const period = parsePeriod(args.period ?? previousCalendarYear(context.clock.now()));
      if (!(await findEnterprise(context.db, code))) throw notFound(`enterprise ${code}`, 'creditCode');
      const { rating, row } = rateEnterprise(rules, await currentEvidenceSet(context.db, code), period);
      context.logger.debug({ code, by: actorName(context.principal!) }, 'rating preview');
      return { rating, json: row.result, hash: row.resultHash };
    },
  }),
);
