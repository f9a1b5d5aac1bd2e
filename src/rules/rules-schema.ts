import { readFileSync } from 'node:fs';
import { chinaDay } from '../china-day.ts';
import { appError } from '../errors.ts';
import { builder } from '../graphql/builder.ts';
import { contentHashOf, type RuleSetVersionSummary } from './load.ts';
import type { CompiledRuleSet } from './compile.ts';
import { LEVELS, PURPOSES, SITUATIONS, VERDICTS } from './types.ts';

/** Rule sets are published law: every field here is public. */

export const CreditLevel = builder.enumType('CreditLevel', { values: LEVELS });
export const CheckPurpose = builder.enumType('CheckPurpose', { values: PURPOSES });
/** What each verdict asks of the institution; the rule file's lookup policy says which situation gets which. */
const VERDICT_MEANINGS: Record<(typeof VERDICTS)[number], string> = {
  PRIORITY: 'Proceed with priority or preference (active credit support, priority for special funds, preferential premium).',
  ELIGIBLE: 'Proceed on ordinary terms.',
  CAUTION: 'Proceed on stricter conditions (tightened loan conditions, strict review of a subsidy, a moderately raised premium).',
  RESTRICTED: 'Proceed only in a limited way until the level improves: no new loans and existing ones reduced step by step, a raised premium (2013 measures, ch. 6, for RED).',
  PROHIBITED: 'Do not proceed: no credit, funds or preference; also the answer for an input that is not a valid credit code.',
};

export const Verdict = builder.enumType('Verdict', {
  values: Object.fromEntries(VERDICTS.map((v) => [v, { description: VERDICT_MEANINGS[v] }])) as Record<(typeof VERDICTS)[number], { description: string }>,
});
export const LookupSituation = builder.enumType('LookupSituation', {
  values: SITUATIONS,
  description: 'What a lookup answers for: a level, or blacklisted / leader / never rated.',
});

const sources = new Map<string, string | null>();

/** The file's text as loaded, or null if the file on disk no longer has the hash that was loaded. */
function sourceText(summary: RuleSetVersionSummary): string | null {
  const key = `${summary.file}@${summary.contentHash}`;
  if (!sources.has(key)) {
    const text = readFileSync(summary.file, 'utf8');
    sources.set(key, contentHashOf(text) === summary.contentHash ? text : null);
  }
  return sources.get(key)!;
}

const RuleIndicator = builder
  .objectRef<{ id: string; title: string; basis: string; points?: number; weight_percent?: number; measure: string }>('RuleIndicator')
  .implement({
    authScopes: { public: true },
    fields: (t) => ({
      id: t.exposeString('id'),
      title: t.exposeString('title'),
      basis: t.exposeString('basis', { description: 'Where the indicator comes from.' }),
      measure: t.exposeString('measure', { description: 'per_record, rate or condition.' }),
      maxPoints: t.float({ nullable: true, resolve: (i) => i.points ?? null }),
      weightPercent: t.float({ nullable: true, resolve: (i) => i.weight_percent ?? null }),
    }),
  });

const RuleCategory = builder
  .objectRef<CompiledRuleSet['file']['categories'][number]>('RuleCategory')
  .implement({
    authScopes: { public: true },
    fields: (t) => ({
      id: t.exposeString('id'),
      title: t.exposeString('title'),
      weightPercent: t.float({ nullable: true, resolve: (c) => c.weight_percent ?? null }),
      maxDeduction: t.float({ nullable: true, resolve: (c) => c.max_deduction ?? null }),
      indicators: t.field({ type: [RuleIndicator], resolve: (c) => c.indicators }),
    }),
  });

const RuleVeto = builder.objectRef<CompiledRuleSet['file']['vetoes'][number]>('RuleVeto').implement({
  authScopes: { public: true },
  fields: (t) => ({
    id: t.exposeString('id'),
    title: t.exposeString('title'),
    basis: t.exposeString('basis'),
    forcesLevel: t.field({ type: CreditLevel, resolve: (v) => v.forces_level }),
  }),
});

const RuleLevel = builder.objectRef<CompiledRuleSet['file']['levels'][number]>('RuleLevelThreshold').implement({
  authScopes: { public: true },
  fields: (t) => ({
    level: t.field({ type: CreditLevel, resolve: (l) => l.level }),
    minScore: t.float({ nullable: true, resolve: (l) => l.min_score ?? null }),
    extraCondition: t.string({ nullable: true, description: 'A CEL condition the level also needs.', resolve: (l) => l.cel ?? null }),
    description: t.string({ nullable: true, resolve: (l) => l.description ?? null }),
  }),
});

interface PolicyRow {
  purpose: (typeof PURPOSES)[number];
  situation: (typeof SITUATIONS)[number];
  entry: CompiledRuleSet['lookup']['LOAN']['GREEN'];
}

const LookupPolicyRow = builder.objectRef<PolicyRow>('LookupPolicyRow').implement({
  authScopes: { public: true },
  fields: (t) => ({
    purpose: t.field({ type: CheckPurpose, resolve: (r) => r.purpose }),
    situation: t.field({ type: LookupSituation, resolve: (r) => r.situation }),
    verdict: t.field({ type: Verdict, resolve: (r) => r.entry.verdict }),
    premiumMultiplier: t.float({ nullable: true, resolve: (r) => r.entry.premium_multiplier ?? null }),
    reasonCode: t.string({ resolve: (r) => r.entry.reason_code }),
    reason: t.string({ resolve: (r) => r.entry.reason }),
  }),
});

type RuleSetView = { summary: RuleSetVersionSummary; ruleSet: CompiledRuleSet };

const RuleSetRef = builder.objectRef<RuleSetView>('RuleSet').implement({
  description: 'One published version of a rule set: what turns evidence into a score, a level and verdicts.',
  authScopes: { public: true },
  fields: (t) => ({
    id: t.string({ resolve: (v) => v.ruleSet.id }),
    version: t.string({ resolve: (v) => v.ruleSet.version }),
    title: t.string({ resolve: (v) => v.ruleSet.title }),
    contentHash: t.string({ description: 'sha256 of the file bytes; every rating records it.', resolve: (v) => v.ruleSet.contentHash }),
    effectiveFrom: t.field({ type: 'Date', resolve: (v) => v.ruleSet.effectiveFrom }),
    effectiveTo: t.field({ type: 'Date', nullable: true, resolve: (v) => v.ruleSet.effectiveTo }),
    legalBasis: t.stringList({ resolve: (v) => v.ruleSet.file.legal_basis }),
    description: t.string({ nullable: true, resolve: (v) => v.ruleSet.file.description ?? null }),
    evaluationPeriod: t.string({ description: 'CALENDAR_YEAR or ROLLING_12_MONTHS.', resolve: (v) => v.ruleSet.file.evaluation.period }),
    publicityDays: t.int({ nullable: true, resolve: (v) => v.ruleSet.file.evaluation.publicity_days ?? null }),
    baseScore: t.float({ resolve: (v) => v.ruleSet.file.scoring.base_score }),
    minScore: t.float({ resolve: (v) => v.ruleSet.file.scoring.min_score }),
    maxScore: t.float({ resolve: (v) => v.ruleSet.file.scoring.max_score }),
    categories: t.field({ type: [RuleCategory], resolve: (v) => v.ruleSet.file.categories }),
    bonuses: t.field({ type: [RuleIndicator], resolve: (v) => v.ruleSet.file.bonuses.indicators }),
    vetoes: t.field({ type: [RuleVeto], resolve: (v) => v.ruleSet.file.vetoes }),
    levels: t.field({ type: [RuleLevel], resolve: (v) => v.ruleSet.file.levels }),
    lookupPolicy: t.field({
      type: [LookupPolicyRow],
      resolve: (v) => PURPOSES.flatMap((purpose) => SITUATIONS.map((situation) => ({ purpose, situation, entry: v.ruleSet.lookup[purpose][situation] }))),
    }),
    testCaseCount: t.int({ resolve: (v) => v.ruleSet.file.cases.length }),
    source: t.string({ nullable: true, description: 'The YAML file as published (null if the file changed on disk since start-up).', resolve: (v) => sourceText(v.summary) }),
  }),
});

builder.queryField('ruleSets', (t) =>
  t.field({
    type: [RuleSetRef],
    description: 'Every loaded rule set version, by set id then version (bounded by the files in RULES_DIR).',
    authScopes: { public: true },
    resolve: (_root, _args, context) =>
      context.rules.list().map((summary) => ({ summary, ruleSet: context.rules.get(summary.id, summary.version)! })),
  }),
);

builder.queryField('ruleSet', (t) =>
  t.field({
    type: RuleSetRef,
    nullable: true,
    description: 'One rule set version; without version, the one in force today.',
    authScopes: { public: true },
    args: { id: t.arg.string({ required: true }), version: t.arg.string() },
    resolve: (_root, args, context) => {
      const ruleSet = args.version ? context.rules.get(args.id, args.version) : context.rules.effectiveOn(args.id, chinaDay(context.clock.now()));
      if (!ruleSet) {
        if (!context.rules.setIds().includes(args.id)) {
          throw appError('NOT_FOUND', `rule set ${args.id} not found`, { field: 'id', expected: context.rules.setIds().join(', ') });
        }
        return null;
      }
      const summary = context.rules.list().find((s) => s.id === ruleSet.id && s.version === ruleSet.version)!;
      return { summary, ruleSet };
    },
  }),
);
