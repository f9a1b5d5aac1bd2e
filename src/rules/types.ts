/**
 * The rule file format as TypeScript sees it after JSON Schema validation. Names stay snake_case,
 * exactly as written in the YAML, so an error path printed by the loader is the path in the file.
 * schema/rule-file.schema.json is the other half of this contract; keep both in step.
 */

export const LEVELS = ['GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK'] as const;
export type Level = (typeof LEVELS)[number];

export const PURPOSES = ['LOAN', 'FISCAL_FUND', 'INSURANCE'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const SITUATIONS = [...LEVELS, 'BLACKLISTED', 'LEADER', 'NOT_RATED'] as const;
export type Situation = (typeof SITUATIONS)[number];

export const VERDICTS = ['PRIORITY', 'ELIGIBLE', 'CAUTION', 'RESTRICTED', 'PROHIBITED'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Evidence kinds a rule can read, by the names used in evidence ids (`violation:12`). */
export const SOURCE_KINDS = ['violation', 'emission', 'audit', 'disclosure', 'complaint', 'permitReport'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** One test on one field of a record; every test given must hold. Ranges: min/max inclusive, above/below exclusive. */
export interface FieldTest {
  in?: (string | number)[];
  not_in?: (string | number)[];
  any?: string[];
  none?: string[];
  equals?: string | number | boolean;
  is_null?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

/** Field tests (AND) plus an optional CEL condition over `record`, for what a table cannot say. */
export type Match = { cel?: string } & { [field: string]: FieldTest | string | undefined };

export type WindowSpec =
  | { basis: 'EVALUATION_PERIOD'; description?: string }
  | { basis: 'FROM_RECORD_DATE' | 'BEFORE_AS_OF' | 'BEFORE_PERIOD_END'; months: number; description?: string };

export interface TableRow {
  when?: Match;
  points: number;
  reason: string;
  /** Overrides the indicator's window for records this row matches (e.g. a suspension counts 12 months). */
  window?: string;
  note?: string;
}

export interface Escalation {
  /** Field whose equal value makes an earlier record a repeat (e.g. violation_type, outlet_code), or `any`. */
  same: string;
  lookback_months: number;
  /** Multiplier for the 1st, 2nd, 3rd... offence in the look-back; the last one applies beyond. */
  multipliers: number[];
  reason: string;
}

export interface RateBand {
  min_rate: number;
  points: number;
  reason: string;
}

interface IndicatorBase {
  id: string;
  title: string;
  /** Where the indicator comes from: the measure, annex row or local decision. */
  basis: string;
  /** Most points this indicator can move (its weight in a base-100 design); absent means no cap. */
  points?: number;
  weight_percent?: number;
  /** A new record that moves points here re-rates the enterprise at once (dynamic adjustment), as a veto does. */
  dynamic?: boolean;
}

export interface PerRecordIndicator extends IndicatorBase {
  measure: 'per_record';
  source: SourceKind;
  where?: Match;
  window?: string;
  /** First matching row gives the points; a record no row matches moves nothing. */
  table: TableRow[];
  escalation?: Escalation;
  /** Counts at most this many records (e.g. one audit bonus however many audits). */
  max_records?: number;
}

export interface RateIndicator extends IndicatorBase {
  measure: 'rate';
  source: SourceKind;
  where?: Match;
  window?: string;
  compliant: Match;
  /**
   * Rate over groups of records sharing this field (e.g. `outlet_code`: the share of outlets
   * compliant, as Annex 1 bands it) instead of over records; a group is compliant when every record
   * in it is.
   */
  per?: string;
  /** Ordered by min_rate descending; the first band the compliance rate reaches applies. */
  bands: RateBand[];
  /** Points when there is no record to rate (absent: nothing moves). */
  when_empty?: { points: number; reason: string };
}

export interface ConditionIndicator extends IndicatorBase {
  measure: 'condition';
  /** CEL over the whole enterprise (enterprise, standing, period, as_of and the evidence lists). */
  cel: string;
  points: number;
  reason: string;
  /** Records cited as the evidence of the condition (e.g. the clean years' absence has none). */
  cite?: { source: SourceKind; where?: Match; window?: string };
}

export type Indicator = PerRecordIndicator | RateIndicator | ConditionIndicator;

export interface Category {
  id: string;
  title: string;
  basis?: string;
  weight_percent?: number;
  /** Most points the category can deduct in total; absent means no cap. */
  max_deduction?: number;
  indicators: Indicator[];
}

export interface Veto {
  id: string;
  title: string;
  basis: string;
  forces_level: Level;
  source: SourceKind | 'enterprise';
  where?: Match;
  cel?: string;
  window?: string;
}

export interface LevelThreshold {
  level: Level;
  /** Lowest score of this level; absent only on the last (catch-all) level. */
  min_score?: number;
  /** Extra condition (e.g. GREEN needs two bonuses); when false the next level is tried. */
  cel?: string;
  description?: string;
}

export interface BlacklistCriterion {
  id: string;
  cause: string;
  basis?: string;
  when: { level_in?: Level[]; vetoes_any?: string[]; cel?: string };
  minimum_months: number;
  automatic: boolean;
}

export interface LeaderPolicy {
  basis: string;
  term_months: number;
  nominate: { level_in?: Level[]; min_score?: number; clean_months?: number; bonuses_any?: string[]; cel?: string };
  revoke: { level_in?: Level[]; any_veto?: boolean; conditions?: RevokeCondition[] };
}

/**
 * A further ground for revoking a current leader, for what neither the level nor a veto says: a
 * serious violation that is no veto (a production suspension, a large fine) still ends a leadership.
 */
export interface RevokeCondition {
  /** The revocation's reason code when `cel` holds. */
  reason: string;
  /** CEL over the rating (as `nominate.cel`: the evidence lists, score, level, vetoes, bonuses). */
  cel: string;
  description?: string;
}

export interface LookupEntry {
  verdict: Verdict;
  premium_multiplier?: number;
  reason_code: string;
  reason: string;
}

export type LookupPolicy = Record<Purpose, Record<Situation, LookupEntry>>;

export interface CaseEvidence {
  violations?: Record<string, unknown>[];
  emissions?: Record<string, unknown>[];
  audits?: Record<string, unknown>[];
  disclosures?: Record<string, unknown>[];
  complaints?: Record<string, unknown>[];
  permit_reports?: Record<string, unknown>[];
}

export interface CaseLookupExpectation {
  purpose: Purpose;
  /** When given, checks the policy for this situation; otherwise for the case's rated situation. */
  situation?: Situation;
  verdict: Verdict;
  premium_multiplier?: number;
}

export interface TestCase {
  name: string;
  enterprise?: { credit_code?: string; industry?: string; region?: string; key_discharge_unit?: boolean; registered_on?: string | null };
  standing?: { leader?: boolean; credit_commitment?: boolean };
  period?: { start: string; end: string };
  as_of?: string;
  evidence?: CaseEvidence;
  expect: {
    score?: number;
    level?: Level;
    vetoes?: string[];
    reasons?: string[];
    reasons_include?: string[];
    blacklist?: string[];
    leader?: LeaderAction;
    lookups?: CaseLookupExpectation[];
  };
}

export type LeaderAction = 'NOMINATE' | 'KEEP' | 'REVOKE' | 'NONE';

export interface RuleFile {
  id: string;
  version: string;
  title: string;
  legal_basis: string[];
  description?: string;
  effective_from: string;
  effective_to: string | null;
  evaluation: { period: 'CALENDAR_YEAR' | 'ROLLING_12_MONTHS'; publicity_days?: number; notes?: string };
  windows: Record<string, WindowSpec>;
  /** The window each kind of record counts in unless an indicator or row says otherwise. */
  record_windows: Record<SourceKind, string>;
  scoring: {
    base_score: number;
    min_score: number;
    max_score: number;
    base_score_overrides?: { cel: string; score: number; reason: string }[];
  };
  categories: Category[];
  bonuses: { max_total?: number; indicators: Indicator[] };
  vetoes: Veto[];
  levels: LevelThreshold[];
  blacklist: { criteria: BlacklistCriterion[] };
  leader: LeaderPolicy;
  lookup: LookupPolicy;
  case_defaults?: { period: { start: string; end: string }; as_of: string };
  cases: TestCase[];
}
