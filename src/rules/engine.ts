import type { EvidenceSet } from '../evidence/evidence-set.ts';
import type { CelContext } from './cel.ts';
import type { CompiledIndicator, CompiledRuleSet, CompiledVeto, CompiledWindow } from './compile.ts';
import { addMonths, isIsoDate, yearOf } from './dates.ts';
import { factsOf, LIST_NAMES, type Facts } from './fields.ts';
import { LEVELS, SOURCE_KINDS, type Level, type SourceKind } from './types.ts';

/**
 * The rating engine: a pure function of (compiled rule version, evidence, period, as-of date).
 * No clock, no I/O, no randomness; every list in the output has a defined order, so the canonical
 * JSON of a rating is byte-identical for identical input.
 */

export interface EvaluateOptions {
  period: { start: string; end: string };
  /** The date the rating speaks for: records dated later do not exist yet; FROM_RECORD_DATE windows expire against it. */
  asOf: string;
}

export interface PointChange {
  reason: string;
  /** Signed: negative for a deduction, positive for a bonus; after escalation, before caps. */
  points: number;
  /** Evidence ids that produced the change (the record, and earlier offences that escalated it). */
  evidence: string[];
  /** Set when a repeat offence multiplied the row's points. */
  escalation: { reason: string; ordinal: number; multiplier: number } | null;
  note: string | null;
}

export interface IndicatorResult {
  id: string;
  title: string;
  basis: string;
  cap: number | null;
  /** Sum of the changes before the cap. */
  raw: number;
  /** What the indicator contributes to the score after its cap. */
  points: number;
  changes: PointChange[];
}

export interface CategoryResult {
  id: string;
  title: string;
  cap: number | null;
  raw: number;
  points: number;
  indicators: IndicatorResult[];
}

export interface VetoHit {
  id: string;
  title: string;
  forcesLevel: Level;
  evidence: string[];
}

export interface BlacklistProposal {
  criterion: string;
  cause: string;
  minimumMonths: number;
  automatic: boolean;
  evidence: string[];
}

export interface LeaderProposal {
  action: 'NOMINATE' | 'KEEP' | 'REVOKE' | 'NONE';
  termMonths: number | null;
  reasons: string[];
}

export interface Rating {
  ruleSet: { id: string; version: string; contentHash: string };
  creditCode: string;
  period: { start: string; end: string };
  asOf: string;
  baseScore: number;
  baseReason: string | null;
  deductionPoints: number;
  bonusPoints: number;
  score: number;
  /** The level the score alone gives; `level` is it or worse when a veto forces one. */
  scoreLevel: Level;
  level: Level;
  vetoes: VetoHit[];
  categories: CategoryResult[];
  bonuses: { maxTotal: number | null; raw: number; points: number; indicators: IndicatorResult[] };
  blacklist: BlacklistProposal[];
  leader: LeaderProposal;
  reasons: string[];
  /** Every evidence id that moved a point or hit a veto, sorted. */
  evidence: string[];
}

export class RatingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RatingInputError';
  }
}

type FactsByKind = Record<SourceKind, Facts[]>;

interface Run {
  rules: CompiledRuleSet;
  period: { start: string; end: string };
  asOf: string;
  facts: FactsByKind;
  context: CelContext;
}

export function evaluate(rules: CompiledRuleSet, evidence: EvidenceSet, options: EvaluateOptions): Rating {
  const run = startRun(rules, evidence, options);
  const base = baseScoreOf(run);
  const categories = rules.categories.map((category) => {
    const indicators = category.indicators.map((indicator) => evaluateIndicator(run, indicator, -1));
    const raw = round2(sum(indicators.map((i) => i.points)));
    return { id: category.id, title: category.title, cap: category.cap, raw, points: capMagnitude(raw, category.cap), indicators };
  });
  const bonusIndicators = rules.bonuses.indicators.map((indicator) => evaluateIndicator(run, indicator, +1));
  const bonusRaw = round2(sum(bonusIndicators.map((i) => i.points)));
  const bonusPoints = capMagnitude(bonusRaw, rules.bonuses.maxTotal);
  const deductionPoints = round2(sum(categories.map((c) => c.points)));
  const score = clamp(round2(base.score + deductionPoints + bonusPoints), rules.scoring.min, rules.scoring.max);

  const vetoes = rules.vetoes.map((veto) => evaluateVeto(run, veto)).filter((hit): hit is VetoHit => hit !== null);
  const bonusesHit = bonusIndicators.filter((i) => i.points !== 0).map((i) => i.id);
  const ratingContext: CelContext = { ...run.context, score, deduction_points: deductionPoints, bonus_points: bonusPoints, bonuses: bonusesHit, vetoes: vetoes.map((v) => v.id) };
  const scoreLevel = levelForScore(run, score, ratingContext);
  const level = worstLevel([scoreLevel, ...vetoes.map((v) => v.forcesLevel)]);
  const finalContext: CelContext = { ...ratingContext, level };

  const allIndicators = [...categories.flatMap((c) => c.indicators), ...bonusIndicators];
  return {
    ruleSet: { id: rules.id, version: rules.version, contentHash: rules.contentHash },
    creditCode: evidence.creditCode,
    period: { start: options.period.start, end: options.period.end },
    asOf: options.asOf,
    baseScore: base.score,
    baseReason: base.reason,
    deductionPoints,
    bonusPoints,
    score,
    scoreLevel,
    level,
    vetoes,
    categories,
    bonuses: { maxTotal: rules.bonuses.maxTotal, raw: bonusRaw, points: bonusPoints, indicators: bonusIndicators },
    blacklist: blacklistProposals(run, level, vetoes, finalContext),
    leader: leaderProposal(run, evidence, score, level, vetoes, bonusesHit, finalContext),
    reasons: sortedUnique([
      ...(base.reason ? [base.reason] : []),
      ...allIndicators.flatMap((i) => i.changes.flatMap((c) => (c.escalation ? [c.reason, c.escalation.reason] : [c.reason]))),
      ...vetoes.map((v) => v.id),
    ]),
    evidence: sortedEvidence([...allIndicators.flatMap((i) => i.changes.flatMap((c) => c.evidence)), ...vetoes.flatMap((v) => v.evidence)]),
  };
}

function startRun(rules: CompiledRuleSet, evidence: EvidenceSet, { period, asOf }: EvaluateOptions): Run {
  if (!isIsoDate(period.start) || !isIsoDate(period.end) || !isIsoDate(asOf)) {
    throw new RatingInputError(`period and asOf must be YYYY-MM-DD dates, got ${period.start}..${period.end} as of ${asOf}`);
  }
  if (period.end < period.start) throw new RatingInputError(`period ends (${period.end}) before it starts (${period.start})`);
  const all = factsOf(evidence);
  // Records dated after the as-of date did not exist for this rating; sorting fixes the order.
  const facts = Object.fromEntries(SOURCE_KINDS.map((kind) => [kind, all[kind].filter((f) => f.date <= asOf).sort(compareFacts)])) as FactsByKind;
  const enterprise = evidence.enterprise;
  const context: CelContext = {
    enterprise: {
      credit_code: evidence.creditCode,
      name: enterprise?.name ?? '',
      region: enterprise?.region ?? '',
      industry: enterprise?.industry ?? '',
      key_discharge_unit: enterprise?.keyDischargeUnit ?? false,
      registered_on: enterprise?.registeredOn ?? null,
      closed_on: enterprise?.closedOn ?? null,
    },
    standing: { leader: evidence.standing.leader, credit_commitment: evidence.standing.creditCommitment },
    period: { start: period.start, end: period.end, year: BigInt(yearOf(period.end)) },
    as_of: asOf,
    ...Object.fromEntries(SOURCE_KINDS.map((kind) => [LIST_NAMES[kind], facts[kind]])),
  };
  return { rules, period, asOf, facts, context };
}

function baseScoreOf(run: Run): { score: number; reason: string | null } {
  for (const override of run.rules.scoring.overrides) {
    if (override.cel?.evaluate(run.context)) return { score: override.score, reason: override.reason };
  }
  return { score: run.rules.scoring.base, reason: null };
}

/** Whether a record dated `date` counts in `window` for this run. */
export function inWindow(date: string, window: CompiledWindow, period: { start: string; end: string }, asOf: string): boolean {
  if (date > asOf) return false;
  const spec = window.spec;
  switch (spec.basis) {
    case 'EVALUATION_PERIOD':
      return date >= period.start && date <= period.end;
    case 'FROM_RECORD_DATE':
      return asOf < addMonths(date, spec.months);
    case 'BEFORE_AS_OF':
      return date > addMonths(asOf, -spec.months);
    case 'BEFORE_PERIOD_END':
      return date <= period.end && date > addMonths(period.end, -spec.months);
  }
}

const counts = (run: Run, fact: Facts, window: CompiledWindow) => inWindow(fact.date, window, run.period, run.asOf);

function evaluateIndicator(run: Run, indicator: CompiledIndicator, sign: 1 | -1): IndicatorResult {
  const changes = changesOf(run, indicator).map((c) => ({ ...c, points: round2(sign * c.points) }));
  if (changes.length === 0) return untouchedResult(indicator);
  return indicatorResult(indicator, changes);
}

function indicatorResult(indicator: CompiledIndicator, changes: PointChange[]): IndicatorResult {
  const raw = round2(sum(changes.map((c) => c.points)));
  return { id: indicator.id, title: indicator.title, basis: indicator.basis, cap: indicator.cap, raw, points: capMagnitude(raw, indicator.cap), changes };
}

const untouchedResults = new WeakMap<CompiledIndicator, IndicatorResult>();

/**
 * An indicator no record moved gives the same result for every enterprise: one frozen object per
 * compiled indicator, shared by all ratings (most indicators of most enterprises), instead of a new
 * one each time. Frozen, so no consumer can change every rating at once; rating-json.ts writes its
 * canonical JSON once.
 */
function untouchedResult(indicator: CompiledIndicator): IndicatorResult {
  let result = untouchedResults.get(indicator);
  if (!result) {
    result = Object.freeze(indicatorResult(indicator, Object.freeze([]) as unknown as PointChange[]));
    untouchedResults.set(indicator, result);
  }
  return result;
}

/** Unsigned changes of one indicator, in record order. */
function changesOf(run: Run, indicator: CompiledIndicator): PointChange[] {
  switch (indicator.measure) {
    case 'per_record':
      return perRecordChanges(run, indicator);
    case 'rate':
      return rateChanges(run, indicator);
    case 'condition':
      return conditionChanges(run, indicator);
  }
}

type PerRecord = Extract<CompiledIndicator, { measure: 'per_record' }>;
type RateMeasure = Extract<CompiledIndicator, { measure: 'rate' }>;
type ConditionMeasure = Extract<CompiledIndicator, { measure: 'condition' }>;

function perRecordChanges(run: Run, indicator: PerRecord): PointChange[] {
  const inScope = run.facts[indicator.source].filter((fact) => indicator.where.matches(fact, run.context));
  const changes: PointChange[] = [];
  for (const fact of inScope) {
    // The first row a record matches decides it: the table lists the most severe case first.
    const row = indicator.rows.find((r) => r.match.matches(fact, run.context));
    if (!row || !counts(run, fact, row.window) || row.points === 0) continue;
    const repeat = escalationOf(indicator, fact, inScope);
    changes.push({
      reason: row.reason,
      points: round2(row.points * repeat.multiplier),
      evidence: [fact.id, ...repeat.earlier],
      escalation: repeat.multiplier === 1 ? null : { reason: repeat.reason, ordinal: repeat.ordinal, multiplier: repeat.multiplier },
      note: null,
    });
  }
  if (indicator.maxRecords === null) return changes;
  // Keep the largest changes (stable: record order breaks ties), then restore record order.
  const kept = new Set([...changes].sort((a, b) => b.points - a.points).slice(0, indicator.maxRecords));
  return changes.filter((c) => kept.has(c));
}

function escalationOf(indicator: PerRecord, fact: Facts, inScope: Facts[]): { multiplier: number; ordinal: number; earlier: string[]; reason: string } {
  const escalation = indicator.escalation;
  if (!escalation) return { multiplier: 1, ordinal: 1, earlier: [], reason: '' };
  const from = addMonths(fact.date, -escalation.lookbackMonths);
  const position = inScope.indexOf(fact);
  const earlier = inScope
    .slice(0, position)
    .filter((other) => other.date >= from && (escalation.same === 'any' || sameValue(other[escalation.same], fact[escalation.same])))
    .map((other) => other.id);
  const ordinal = earlier.length + 1;
  const multiplier = escalation.multipliers[Math.min(ordinal, escalation.multipliers.length) - 1] ?? 1;
  return { multiplier, ordinal, earlier, reason: escalation.reason };
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Groups of records with the same `field` (e.g. outlets), and how many have no failing record. */
function groupCounts(population: readonly Facts[], failing: readonly Facts[], field: string): { compliant: number; total: number; of: string } {
  const groups = new Set(population.map((fact) => JSON.stringify(fact[field] ?? null)));
  const failingGroups = new Set(failing.map((fact) => JSON.stringify(fact[field] ?? null)));
  return { compliant: groups.size - failingGroups.size, total: groups.size, of: ` by ${field}` };
}

function rateChanges(run: Run, indicator: RateMeasure): PointChange[] {
  const population = run.facts[indicator.source].filter((fact) => counts(run, fact, indicator.window) && indicator.where.matches(fact, run.context));
  if (population.length === 0) {
    const empty = indicator.whenEmpty;
    return empty && empty.points !== 0 ? [{ reason: empty.reason, points: empty.points, evidence: [], escalation: null, note: 'no record to rate' }] : [];
  }
  const failing = population.filter((fact) => !indicator.compliant.matches(fact, run.context));
  const { compliant, total, of } = indicator.per === null ? { compliant: population.length - failing.length, total: population.length, of: '' } : groupCounts(population, failing, indicator.per);
  const rate = compliant / total;
  const band = indicator.bands.find((b) => rate >= b.minRate);
  if (!band || band.points === 0) return [];
  return [
    {
      reason: band.reason,
      points: band.points,
      evidence: failing.map((f) => f.id),
      escalation: null,
      note: `compliance rate ${formatRate(rate)} (${compliant} of ${total}${of} compliant)`,
    },
  ];
}

function conditionChanges(run: Run, indicator: ConditionMeasure): PointChange[] {
  if (!indicator.cel?.evaluate(run.context) || indicator.points === 0) return [];
  const cite = indicator.cite;
  const evidence = cite ? run.facts[cite.source].filter((f) => counts(run, f, cite.window) && cite.where.matches(f, run.context)).map((f) => f.id) : [];
  return [{ reason: indicator.reason, points: indicator.points, evidence, escalation: null, note: null }];
}

function evaluateVeto(run: Run, veto: CompiledVeto): VetoHit | null {
  if (veto.source === 'enterprise') {
    return veto.cel?.evaluate(run.context) ? { id: veto.id, title: veto.title, forcesLevel: veto.forcesLevel, evidence: [] } : null;
  }
  const window = veto.window;
  const hits = run.facts[veto.source].filter((fact) => window !== null && counts(run, fact, window) && veto.where.matches(fact, run.context));
  return hits.length > 0 ? { id: veto.id, title: veto.title, forcesLevel: veto.forcesLevel, evidence: hits.map((f) => f.id) } : null;
}

function levelForScore(run: Run, score: number, context: CelContext): Level {
  for (const threshold of run.rules.levels) {
    const reached = threshold.minScore === null || score >= threshold.minScore;
    if (reached && (threshold.cel === null || threshold.cel.evaluate(context))) return threshold.level;
  }
  return 'BLACK';
}

export const levelRank = (level: Level): number => LEVELS.indexOf(level);

export function worstLevel(levels: Level[]): Level {
  return levels.reduce((worst, level) => (levelRank(level) > levelRank(worst) ? level : worst), 'GREEN' as Level);
}

function blacklistProposals(run: Run, level: Level, vetoes: VetoHit[], context: CelContext): BlacklistProposal[] {
  const proposals: BlacklistProposal[] = [];
  for (const criterion of run.rules.blacklist) {
    if (criterion.levelIn && !criterion.levelIn.includes(level)) continue;
    const matchingVetoes = criterion.vetoesAny ? vetoes.filter((v) => criterion.vetoesAny?.includes(v.id)) : [];
    if (criterion.vetoesAny && matchingVetoes.length === 0) continue;
    if (criterion.cel && !criterion.cel.evaluate(context)) continue;
    proposals.push({
      criterion: criterion.id,
      cause: criterion.cause,
      minimumMonths: criterion.minimumMonths,
      automatic: criterion.automatic,
      evidence: sortedEvidence(matchingVetoes.flatMap((v) => v.evidence)),
    });
  }
  return proposals;
}

function leaderProposal(run: Run, evidence: EvidenceSet, score: number, level: Level, vetoes: VetoHit[], bonusesHit: string[], context: CelContext): LeaderProposal {
  const policy = run.rules.leader;
  if (evidence.standing.leader) {
    const reasons = [
      ...(policy.revoke.levelIn.includes(level) ? [`LEVEL_${level}`] : []),
      ...(policy.revoke.anyVeto ? vetoes.map((v) => v.id) : []),
      ...revokeConditionsMet(run, context),
    ];
    return reasons.length > 0 ? { action: 'REVOKE', termMonths: null, reasons } : { action: 'KEEP', termMonths: policy.termMonths, reasons: [] };
  }
  const n = policy.nominate;
  const unmet: string[] = [];
  if (n.levelIn && !n.levelIn.includes(level)) unmet.push(`LEVEL_${level}`);
  if (n.minScore !== null && score < n.minScore) unmet.push('SCORE_TOO_LOW');
  if (n.cleanMonths !== null && hasViolationSince(run, addMonths(run.asOf, -n.cleanMonths))) unmet.push(`NOT_CLEAN_${n.cleanMonths}_MONTHS`);
  if (n.bonusesAny && !n.bonusesAny.some((id) => bonusesHit.includes(id))) unmet.push('NO_QUALIFYING_BONUS');
  if (n.cel && !n.cel.evaluate(context)) unmet.push('CONDITION_NOT_MET');
  if (unmet.length > 0) return { action: 'NONE', termMonths: null, reasons: unmet };
  return { action: 'NOMINATE', termMonths: policy.termMonths, reasons: n.cleanMonths !== null ? [`CLEAN_${n.cleanMonths}_MONTHS`] : [] };
}

/** Reasons of the rule's revoke conditions that hold: a serious violation that is no veto, say, in file order. */
const revokeConditionsMet = (run: Run, context: CelContext): string[] =>
  run.rules.leader.revoke.conditions.filter((condition) => condition.cel?.evaluate(context)).map((condition) => condition.reason);

const hasViolationSince = (run: Run, from: string): boolean => run.facts.violation.some((v) => v.date > from);

function compareFacts(a: Facts, b: Facts): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return compareEvidenceIds(a.id, b.id);
}

/**
 * `violation:9` before `violation:10`: kind, then the number. Every sort of a rating's records comes
 * here (records of one date tie often), so it reads the two parts in place instead of splitting.
 */
export function compareEvidenceIds(a: string, b: string): number {
  const colonA = a.indexOf(':');
  const colonB = b.indexOf(':');
  const kindA = colonA < 0 ? a : a.slice(0, colonA);
  const kindB = colonB < 0 ? b : b.slice(0, colonB);
  if (kindA !== kindB) return kindA < kindB ? -1 : 1;
  return refNumber(a, colonA) - refNumber(b, colonB);
}

/** The number after the kind (up to a further colon, if any); 0 when there is none. */
function refNumber(id: string, colon: number): number {
  if (colon < 0) return 0;
  const end = id.indexOf(':', colon + 1);
  return Number(end < 0 ? id.slice(colon + 1) : id.slice(colon + 1, end));
}

const sortedEvidence = (ids: string[]): string[] => [...new Set(ids)].sort(compareEvidenceIds);
const sortedUnique = (values: string[]): string[] => [...new Set(values)].sort();
const sum = (values: number[]): number => values.reduce((total, v) => total + v, 0);
/** Two decimals, so float noise (0.1 + 0.2) never reaches a score or a byte of output. */
export const round2 = (value: number): number => {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? 0 : rounded;
};
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
/** A signed total limited to `cap` in magnitude (deductions negative, bonuses positive). */
const capMagnitude = (value: number, cap: number | null): number => (cap === null ? value : Math.sign(value) * Math.min(Math.abs(value), cap) || 0);
const formatRate = (rate: number): string => `${round2(rate * 100)}%`;
