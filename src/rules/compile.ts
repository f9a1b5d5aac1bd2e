import type { CompiledCel } from './cel.ts';
import { compileCases, type CompiledCase } from './cases.ts';
import { isIsoDate } from './dates.ts';
import { FIELD_CATALOGUE } from './fields.ts';
import { compileCelAt, compileMatch, MATCH_ALL, type CompiledMatch, type Report } from './match.ts';
import type { PathSegment } from './problems.ts';
import {
  LEVELS,
  type Category,
  type Indicator,
  type Level,
  type LookupPolicy,
  type RuleFile,
  type SourceKind,
  type WindowSpec,
} from './types.ts';

/** A rule version ready to evaluate: windows resolved, tables and CEL compiled once. */
export interface CompiledRuleSet {
  id: string;
  version: string;
  /** `sha256:<hex>` of the file bytes, recorded with every rating that used this version. */
  contentHash: string;
  title: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  /** The file as published, for display (GraphQL ruleSet) and explanations. */
  file: RuleFile;
  scoring: { base: number; min: number; max: number; overrides: { cel: CompiledCel | null; score: number; reason: string }[] };
  recordWindows: Record<SourceKind, CompiledWindow>;
  categories: CompiledCategory[];
  bonuses: { maxTotal: number | null; indicators: CompiledIndicator[] };
  vetoes: CompiledVeto[];
  levels: CompiledLevel[];
  blacklist: CompiledCriterion[];
  leader: CompiledLeader;
  lookup: LookupPolicy;
  cases: CompiledCase[];
}

export interface CompiledWindow {
  name: string;
  spec: WindowSpec;
}

interface IndicatorCommon {
  id: string;
  title: string;
  basis: string;
  cap: number | null;
}

export interface CompiledRow {
  points: number;
  reason: string;
  window: CompiledWindow;
  match: CompiledMatch;
}

export type CompiledIndicator = IndicatorCommon &
  (
    | {
        measure: 'per_record';
        source: SourceKind;
        where: CompiledMatch;
        rows: CompiledRow[];
        escalation: { same: string; lookbackMonths: number; multipliers: number[]; reason: string } | null;
        maxRecords: number | null;
      }
    | {
        measure: 'rate';
        source: SourceKind;
        where: CompiledMatch;
        window: CompiledWindow;
        compliant: CompiledMatch;
        per: string | null;
        bands: { minRate: number; points: number; reason: string }[];
        whenEmpty: { points: number; reason: string } | null;
      }
    | {
        measure: 'condition';
        cel: CompiledCel | null;
        points: number;
        reason: string;
        cite: { source: SourceKind; where: CompiledMatch; window: CompiledWindow } | null;
      }
  );

export interface CompiledCategory {
  id: string;
  title: string;
  cap: number | null;
  indicators: CompiledIndicator[];
}

export interface CompiledVeto {
  id: string;
  title: string;
  basis: string;
  forcesLevel: Level;
  source: SourceKind | 'enterprise';
  where: CompiledMatch;
  cel: CompiledCel | null;
  window: CompiledWindow | null;
}

export interface CompiledLevel {
  level: Level;
  minScore: number | null;
  cel: CompiledCel | null;
}

export interface CompiledCriterion {
  id: string;
  cause: string;
  levelIn: Level[] | null;
  vetoesAny: string[] | null;
  cel: CompiledCel | null;
  minimumMonths: number;
  automatic: boolean;
}

export interface CompiledLeader {
  termMonths: number;
  nominate: { levelIn: Level[] | null; minScore: number | null; cleanMonths: number | null; bonusesAny: string[] | null; cel: CompiledCel | null };
  revoke: { levelIn: Level[]; anyVeto: boolean; conditions: CompiledRevokeCondition[] };
}

export interface CompiledRevokeCondition {
  reason: string;
  /** Null only when the CEL did not compile (reported; the rule set is then unusable). */
  cel: CompiledCel | null;
}

/**
 * Turns a schema-valid rule file into a CompiledRuleSet, reporting every semantic problem (unknown
 * windows, fields or codes, unordered thresholds, CEL that does not compile, duplicate ids) through
 * `report`. The result is only usable when nothing was reported.
 */
export function compileRuleFile(file: RuleFile, contentHash: string, report: Report): CompiledRuleSet {
  checkMetadata(file, report);
  checkUniqueIds(file, report);
  const windows = resolveWindows(file, report);
  const recordWindows = Object.fromEntries(
    Object.entries(file.record_windows).map(([kind, name]) => [kind, windows.get(name, ['record_windows', kind])]),
  ) as Record<SourceKind, CompiledWindow>;
  const context: IndicatorContext = { windows, recordWindows, report };
  const compiled: CompiledRuleSet = {
    id: file.id,
    version: file.version,
    contentHash,
    title: file.title,
    effectiveFrom: file.effective_from,
    effectiveTo: file.effective_to,
    file,
    scoring: compileScoring(file, report),
    recordWindows,
    categories: file.categories.map((category, i) => compileCategory(category, ['categories', i], context)),
    bonuses: {
      maxTotal: file.bonuses.max_total ?? null,
      indicators: file.bonuses.indicators.map((indicator, i) => compileIndicator(indicator, ['bonuses', 'indicators', i], context)),
    },
    vetoes: file.vetoes.map((veto, i) => {
      const path = ['vetoes', i];
      const isEnterprise = veto.source === 'enterprise';
      if (isEnterprise && (veto.where || !veto.cel)) report(path, 'an enterprise-wide veto is a CEL condition', 'cel and no where');
      if (!isEnterprise && !veto.where && !veto.cel) report(path, 'a veto needs a condition on its records', 'where and/or cel');
      if (!isEnterprise && veto.cel) report([...path, 'cel'], 'a record veto puts its CEL inside where', 'where.cel');
      return {
        id: veto.id,
        title: veto.title,
        basis: veto.basis,
        forcesLevel: veto.forces_level,
        source: veto.source,
        where: veto.source === 'enterprise' ? MATCH_ALL : compileMatch(veto.where, veto.source, [...path, 'where'], report),
        cel: isEnterprise && veto.cel ? compileCelAt(veto.cel, { kind: 'enterprise' }, [...path, 'cel'], report) : null,
        window: veto.source === 'enterprise' ? null : veto.window ? windows.get(veto.window, [...path, 'window']) : recordWindows[veto.source],
      };
    }),
    levels: compileLevels(file, report),
    blacklist: file.blacklist.criteria.map((criterion, i) => {
      const path = ['blacklist', 'criteria', i, 'when'];
      criterion.when.vetoes_any?.forEach((id, j) => {
        if (!file.vetoes.some((v) => v.id === id)) report([...path, 'vetoes_any', j], `no veto "${id}"`, file.vetoes.map((v) => v.id).join(', '));
      });
      return {
        id: criterion.id,
        cause: criterion.cause,
        levelIn: criterion.when.level_in ?? null,
        vetoesAny: criterion.when.vetoes_any ?? null,
        cel: criterion.when.cel ? compileCelAt(criterion.when.cel, { kind: 'rating' }, [...path, 'cel'], report) : null,
        minimumMonths: criterion.minimum_months,
        automatic: criterion.automatic,
      };
    }),
    leader: compileLeader(file, report),
    lookup: file.lookup,
    cases: [],
  };
  compiled.cases = compileCases(file, report);
  return compiled;
}

function checkMetadata(file: RuleFile, report: Report): void {
  for (const key of ['effective_from', 'effective_to'] as const) {
    const value = file[key];
    if (value !== null && !isIsoDate(value)) report([key], `${value} is not a calendar date`, 'YYYY-MM-DD');
  }
  if (file.effective_to !== null && file.effective_to < file.effective_from) {
    report(['effective_to'], `ends (${file.effective_to}) before it starts (${file.effective_from})`, `a date on or after ${file.effective_from}, or null`);
  }
}

function checkUniqueIds(file: RuleFile, report: Report): void {
  const seen = new Map<string, string>();
  const claim = (id: string, path: PathSegment[]) => {
    const earlier = seen.get(id);
    if (earlier) report(path, `id "${id}" is already used at ${earlier}`, 'ids unique within the file');
    else seen.set(id, path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1));
  };
  file.categories.forEach((c, i) => {
    claim(c.id, ['categories', i, 'id']);
    c.indicators.forEach((ind, j) => claim(ind.id, ['categories', i, 'indicators', j, 'id']));
  });
  file.bonuses.indicators.forEach((ind, j) => claim(ind.id, ['bonuses', 'indicators', j, 'id']));
  file.vetoes.forEach((v, i) => claim(v.id, ['vetoes', i, 'id']));
  file.blacklist.criteria.forEach((c, i) => claim(c.id, ['blacklist', 'criteria', i, 'id']));
}

interface WindowTable {
  get(name: string, path: PathSegment[]): CompiledWindow;
}

function resolveWindows(file: RuleFile, report: Report): WindowTable {
  const names = Object.keys(file.windows);
  return {
    get(name, path) {
      const spec = file.windows[name];
      if (!spec) {
        report(path, `no window named "${name}"`, `one of ${names.join(', ')} (declared under windows)`);
        return { name, spec: { basis: 'EVALUATION_PERIOD' } };
      }
      return { name, spec };
    },
  };
}

function compileScoring(file: RuleFile, report: Report): CompiledRuleSet['scoring'] {
  const { base_score: base, min_score: min, max_score: max } = file.scoring;
  if (!(min <= base && base <= max)) report(['scoring'], `base_score ${base} is outside [min_score ${min}, max_score ${max}]`, 'min_score <= base_score <= max_score');
  return {
    base,
    min,
    max,
    overrides: (file.scoring.base_score_overrides ?? []).map((o, i) => {
      if (o.score < min || o.score > max) report(['scoring', 'base_score_overrides', i, 'score'], `${o.score} is outside the score bounds`, `${min}..${max}`);
      return { cel: compileCelAt(o.cel, { kind: 'enterprise' }, ['scoring', 'base_score_overrides', i, 'cel'], report), score: o.score, reason: o.reason };
    }),
  };
}

interface IndicatorContext {
  windows: WindowTable;
  recordWindows: Record<SourceKind, CompiledWindow>;
  report: Report;
}

function compileCategory(category: Category, path: PathSegment[], context: IndicatorContext): CompiledCategory {
  return {
    id: category.id,
    title: category.title,
    cap: category.max_deduction ?? null,
    indicators: category.indicators.map((indicator, i) => compileIndicator(indicator, [...path, 'indicators', i], context)),
  };
}

function compileIndicator(indicator: Indicator, path: PathSegment[], { windows, recordWindows, report }: IndicatorContext): CompiledIndicator {
  const common: IndicatorCommon = { id: indicator.id, title: indicator.title, basis: indicator.basis, cap: indicator.points ?? null };
  const windowOf = (source: SourceKind, name: string | undefined, at: PathSegment[]) => (name ? windows.get(name, at) : recordWindows[source]);
  switch (indicator.measure) {
    case 'per_record': {
      const indicatorWindow = windowOf(indicator.source, indicator.window, [...path, 'window']);
      const escalation = indicator.escalation;
      if (escalation && escalation.same !== 'any' && !FIELD_CATALOGUE[indicator.source][escalation.same]) {
        report([...path, 'escalation', 'same'], `${indicator.source} records have no field "${escalation.same}"`, `any, or one of ${Object.keys(FIELD_CATALOGUE[indicator.source]).join(', ')}`);
      }
      return {
        ...common,
        measure: 'per_record',
        source: indicator.source,
        where: compileMatch(indicator.where, indicator.source, [...path, 'where'], report),
        rows: indicator.table.map((row, i) => ({
          points: row.points,
          reason: row.reason,
          window: row.window ? windows.get(row.window, [...path, 'table', i, 'window']) : indicatorWindow,
          match: compileMatch(row.when, indicator.source, [...path, 'table', i, 'when'], report),
        })),
        escalation: escalation
          ? { same: escalation.same, lookbackMonths: escalation.lookback_months, multipliers: escalation.multipliers, reason: escalation.reason }
          : null,
        maxRecords: indicator.max_records ?? null,
      };
    }
    case 'rate': {
      indicator.bands.forEach((band, i) => {
        const previous = indicator.bands[i - 1];
        if (previous && band.min_rate >= previous.min_rate) {
          report([...path, 'bands', i, 'min_rate'], `bands must go from the highest rate down; ${band.min_rate} is not below ${previous.min_rate}`, `less than ${previous.min_rate}`);
        }
      });
      const last = indicator.bands[indicator.bands.length - 1];
      if (last && last.min_rate !== 0) report([...path, 'bands', indicator.bands.length - 1, 'min_rate'], 'the last band must catch every rate', '0');
      if (indicator.per !== undefined && !FIELD_CATALOGUE[indicator.source][indicator.per]) {
        report([...path, 'per'], `${indicator.source} records have no field "${indicator.per}"`, `one of ${Object.keys(FIELD_CATALOGUE[indicator.source]).join(', ')}`);
      }
      return {
        ...common,
        measure: 'rate',
        source: indicator.source,
        where: compileMatch(indicator.where, indicator.source, [...path, 'where'], report),
        window: windowOf(indicator.source, indicator.window, [...path, 'window']),
        compliant: compileMatch(indicator.compliant, indicator.source, [...path, 'compliant'], report),
        per: indicator.per ?? null,
        bands: indicator.bands.map((b) => ({ minRate: b.min_rate, points: b.points, reason: b.reason })),
        whenEmpty: indicator.when_empty ?? null,
      };
    }
    case 'condition': {
      const cite = indicator.cite;
      return {
        ...common,
        measure: 'condition',
        cel: compileCelAt(indicator.cel, { kind: 'enterprise' }, [...path, 'cel'], report),
        points: indicator.points,
        reason: indicator.reason,
        cite: cite
          ? {
              source: cite.source,
              where: compileMatch(cite.where, cite.source, [...path, 'cite', 'where'], report),
              window: windowOf(cite.source, cite.window, [...path, 'cite', 'window']),
            }
          : null,
      };
    }
  }
}

function compileLevels(file: RuleFile, report: Report): CompiledLevel[] {
  file.levels.forEach((threshold, i) => {
    const path = ['levels', i];
    if (threshold.level !== LEVELS[i]) report([...path, 'level'], `level ${i + 1} is ${threshold.level}`, LEVELS[i]);
    const isLast = i === file.levels.length - 1;
    if (isLast && threshold.min_score !== undefined) report([...path, 'min_score'], 'the last level takes every lower score and has no min_score', 'no min_score');
    if (!isLast && threshold.min_score === undefined) report(path, `${threshold.level} needs a min_score`, 'a number');
    const previous = file.levels[i - 1]?.min_score;
    if (threshold.min_score !== undefined && previous !== undefined && threshold.min_score >= previous) {
      report([...path, 'min_score'], `thresholds must decrease from GREEN to BLACK; ${threshold.min_score} is not below ${previous}`, `a number below ${previous}`);
    }
    if (threshold.min_score !== undefined && (threshold.min_score < file.scoring.min_score || threshold.min_score > file.scoring.max_score)) {
      report([...path, 'min_score'], `${threshold.min_score} is outside the score bounds`, `${file.scoring.min_score}..${file.scoring.max_score}`);
    }
  });
  return file.levels.map((threshold, i) => ({
    level: threshold.level,
    minScore: threshold.min_score ?? null,
    cel: threshold.cel ? compileCelAt(threshold.cel, { kind: 'rating' }, ['levels', i, 'cel'], report) : null,
  }));
}

function compileLeader(file: RuleFile, report: Report): CompiledLeader {
  const { nominate, revoke } = file.leader;
  const bonusIds = file.bonuses.indicators.map((b) => b.id);
  nominate.bonuses_any?.forEach((id, i) => {
    if (!bonusIds.includes(id)) report(['leader', 'nominate', 'bonuses_any', i], `no bonus indicator "${id}"`, bonusIds.join(', '));
  });
  return {
    termMonths: file.leader.term_months,
    nominate: {
      levelIn: nominate.level_in ?? null,
      minScore: nominate.min_score ?? null,
      cleanMonths: nominate.clean_months ?? null,
      bonusesAny: nominate.bonuses_any ?? null,
      cel: nominate.cel ? compileCelAt(nominate.cel, { kind: 'rating' }, ['leader', 'nominate', 'cel'], report) : null,
    },
    revoke: { levelIn: revoke.level_in ?? [], anyVeto: revoke.any_veto ?? false, conditions: compileRevokeConditions(file, report) },
  };
}

/** Each condition's CEL in the rating scope; a reason given twice would make a revocation ambiguous. */
function compileRevokeConditions(file: RuleFile, report: Report): CompiledRevokeCondition[] {
  const conditions = file.leader.revoke.conditions ?? [];
  const path = ['leader', 'revoke', 'conditions'];
  conditions.forEach((condition, i) => {
    const first = conditions.findIndex((c) => c.reason === condition.reason);
    if (first < i) report([...path, i, 'reason'], `reason "${condition.reason}" is already used at leader.revoke.conditions[${first}]`, 'reasons unique within leader.revoke.conditions');
  });
  return conditions.map((condition, i) => ({ reason: condition.reason, cel: compileCelAt(condition.cel, { kind: 'rating' }, [...path, i, 'cel'], report) }));
}
