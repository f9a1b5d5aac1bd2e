/**
 * Row c of the bench: a representative subset of the linjiang 2025.1 rules written by hand for
 * json-rules-engine, and the same subset of the compiled rule set for `evaluate`, so both evaluate
 * exactly the same indicators on the same evidence. See docs/PERFORMANCE.md, row c.
 *
 * Subset: the per-record deduction tables P2 (emission exceedances), P3 (pollution penalties),
 * P4 (solid waste), P5 (hazardous waste), P6 (noise), E1 (red line), E2 (general incident), each
 * first-matching-row-wins and capped at its points, categories capped; all 13 one-vote vetoes.
 * Repeat-offence escalation (P2, P3) is left out on both sides: json-rules-engine has no notion of
 * "earlier records of the same kind", so it would be JavaScript around the engine, not the engine.
 */
import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { EvidenceSet } from '../src/evidence/evidence-set.ts';
import type { CompiledRuleSet } from '../src/rules/index.ts';
import { exceedsPermit } from '../src/rules/fields.ts';

export const SUBSET_INDICATORS = ['P2_EXCEEDANCE_EVENTS', 'P3_POLLUTION_PENALTIES', 'P4_SOLID_WASTE', 'P5_HAZARDOUS_WASTE', 'P6_NOISE', 'E1_ECOLOGICAL_RED_LINE', 'E2_GENERAL_INCIDENT'];

/** The compiled linjiang set cut down to the subset (same vetoes, levels, scoring), escalation off. */
export function subsetRuleSet(rules: CompiledRuleSet): CompiledRuleSet {
  const keep = new Set(SUBSET_INDICATORS);
  return {
    ...rules,
    categories: rules.categories
      .map((c) => ({ ...c, indicators: c.indicators.filter((i) => keep.has(i.id)).map((i) => (i.measure === 'per_record' ? { ...i, escalation: null } : i)) }))
      .filter((c) => c.indicators.length > 0),
    bonuses: { ...rules.bonuses, indicators: [] },
    scoring: { ...rules.scoring, overrides: [] },
    cases: [],
  };
}

type Cond = { fact: string; operator: string; value: unknown };
const inPeriod: Cond[] = [
  { fact: 'date', operator: 'onOrAfter', value: { fact: 'periodStart' } },
  { fact: 'date', operator: 'onOrBefore', value: { fact: 'periodEnd' } },
  { fact: 'date', operator: 'onOrBefore', value: { fact: 'asOf' } },
];
const all = (...conditions: Cond[]): TopLevelCondition => ({ all: [...inPeriod, ...conditions] as never });

interface TableRow {
  when: Cond[];
  points: number;
  reason: string;
}
interface Table {
  indicator: string;
  category: string;
  cap: number;
  where: Cond[];
  rows: TableRow[];
}

const POLLUTION_TYPES = ['EXCEEDING_STANDARDS', 'NO_PERMIT', 'PERMIT_CONDITIONS', 'MONITORING_EQUIPMENT_NOT_OPERATED', 'HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE'];
const SEVERE_MEASURES = ['PRODUCTION_SUSPENSION', 'SEAL_UP_SEIZURE', 'PERMIT_REVOKED', 'SHUTDOWN_ORDER', 'DAILY_CONTINUOUS_PENALTY'];

const EMISSION_TABLES: Table[] = [
  {
    indicator: 'P2_EXCEEDANCE_EVENTS',
    category: 'POLLUTION_PREVENTION',
    cap: 10,
    where: [{ fact: 'unit', operator: 'notIn', value: ['dB(A)'] }, { fact: 'exceeded', operator: 'equal', value: true }],
    rows: [
      { when: [{ fact: 'exceedance_ratio', operator: 'greaterThanInclusive', value: 1.0 }], points: 5, reason: 'EXCEEDANCE_OVER_100' },
      { when: [{ fact: 'exceedance_ratio', operator: 'greaterThanInclusive', value: 0.5 }], points: 3, reason: 'EXCEEDANCE_50_100' },
      { when: [{ fact: 'monitoring_source', operator: 'in', value: ['SUPERVISORY'] }], points: 2, reason: 'EXCEEDANCE_UNDER_50_SUPERVISORY' },
      { when: [], points: 1, reason: 'EXCEEDANCE_UNDER_50' },
    ],
  },
  {
    indicator: 'P6_NOISE',
    category: 'POLLUTION_PREVENTION',
    cap: 4,
    where: [{ fact: 'unit', operator: 'in', value: ['dB(A)'] }, { fact: 'exceeded', operator: 'equal', value: true }],
    rows: [
      { when: [{ fact: 'exceedance_db', operator: 'greaterThan', value: 5 }], points: 4, reason: 'NOISE_OVER_5DB' },
      { when: [], points: 2, reason: 'NOISE_UP_TO_5DB' },
    ],
  },
];

const VIOLATION_TABLES: Table[] = [
  {
    indicator: 'P3_POLLUTION_PENALTIES',
    category: 'POLLUTION_PREVENTION',
    cap: 15,
    where: [{ fact: 'violation_type', operator: 'in', value: POLLUTION_TYPES }],
    rows: [
      { when: [{ fact: 'measures', operator: 'containsAny', value: SEVERE_MEASURES }], points: 10, reason: 'PENALTY_SEVERE_MEASURE' },
      { when: [{ fact: 'fine_cny', operator: 'greaterThanInclusive', value: 200000 }], points: 8, reason: 'FINE_200K_PLUS' },
      { when: [{ fact: 'fine_cny', operator: 'greaterThanInclusive', value: 50000 }], points: 5, reason: 'FINE_50K_200K' },
      { when: [{ fact: 'fine_cny', operator: 'greaterThan', value: 0 }], points: 3, reason: 'FINE_UNDER_50K' },
      { when: [], points: 1, reason: 'WARNING_OR_ORDER' },
    ],
  },
  {
    indicator: 'P4_SOLID_WASTE',
    category: 'POLLUTION_PREVENTION',
    cap: 5,
    where: [{ fact: 'violation_type', operator: 'in', value: ['SOLID_WASTE'] }],
    rows: [
      { when: [{ fact: 'fine_cny', operator: 'greaterThanInclusive', value: 50000 }], points: 5, reason: 'SOLID_WASTE_SERIOUS' },
      { when: [], points: 3, reason: 'SOLID_WASTE_MINOR' },
    ],
  },
  {
    indicator: 'P5_HAZARDOUS_WASTE',
    category: 'POLLUTION_PREVENTION',
    cap: 5,
    where: [{ fact: 'violation_type', operator: 'in', value: ['HAZARDOUS_WASTE_MANAGEMENT'] }],
    rows: [
      { when: [{ fact: 'fine_cny', operator: 'greaterThanInclusive', value: 50000 }], points: 5, reason: 'HAZARDOUS_WASTE_SERIOUS' },
      { when: [], points: 3, reason: 'HAZARDOUS_WASTE_MINOR' },
    ],
  },
  {
    indicator: 'E1_ECOLOGICAL_RED_LINE',
    category: 'ECOLOGICAL_PROTECTION',
    cap: 5,
    where: [{ fact: 'violation_type', operator: 'in', value: ['ECOLOGICAL_RED_LINE'] }],
    rows: [{ when: [], points: 5, reason: 'RED_LINE_VIOLATION' }],
  },
  {
    indicator: 'E2_GENERAL_INCIDENT',
    category: 'ECOLOGICAL_PROTECTION',
    cap: 5,
    where: [{ fact: 'violation_type', operator: 'in', value: ['ENVIRONMENTAL_INCIDENT'] }, { fact: 'incident_severity', operator: 'in', value: ['GENERAL'] }],
    rows: [{ when: [], points: 5, reason: 'GENERAL_INCIDENT' }],
  },
];

const type = (t: string): Cond => ({ fact: 'violation_type', operator: 'in', value: [t] });
const VETOES: { id: string; level: 'RED' | 'BLACK'; when: Cond[] }[] = [
  { id: 'VETO_ENVIRONMENTAL_CRIME', level: 'BLACK', when: [{ fact: 'measures', operator: 'containsAny', value: ['CRIMINAL_REFERRAL'] }] },
  { id: 'VETO_EIA_NOT_APPROVED', level: 'RED', when: [type('EIA_NOT_APPROVED')] },
  { id: 'VETO_OPERATING_BEFORE_ACCEPTANCE', level: 'RED', when: [type('OPERATING_BEFORE_ACCEPTANCE')] },
  { id: 'VETO_MAJOR_CHANGE', level: 'RED', when: [type('MAJOR_CHANGE_WITHOUT_APPROVAL')] },
  { id: 'VETO_EXCEEDING_TOTAL_LOAD', level: 'RED', when: [type('EXCEEDING_TOTAL_LOAD')] },
  { id: 'VETO_BYPASS_OR_HIDDEN_DISCHARGE', level: 'BLACK', when: [type('BYPASS_OR_HIDDEN_DISCHARGE')] },
  { id: 'VETO_ILLEGAL_HAZARDOUS_WASTE', level: 'BLACK', when: [type('ILLEGAL_HAZARDOUS_WASTE')] },
  { id: 'VETO_FALSIFIED_MONITORING_DATA', level: 'BLACK', when: [type('FALSIFIED_MONITORING_DATA')] },
  { id: 'VETO_LARGER_INCIDENT', level: 'RED', when: [type('ENVIRONMENTAL_INCIDENT'), { fact: 'incident_severity', operator: 'in', value: ['LARGER', 'MAJOR', 'EXTRAORDINARY'] }] },
  { id: 'VETO_MAJOR_INCIDENT', level: 'BLACK', when: [type('ENVIRONMENTAL_INCIDENT'), { fact: 'incident_severity', operator: 'in', value: ['MAJOR', 'EXTRAORDINARY'] }] },
  { id: 'VETO_OVERDUE_RECTIFICATION', level: 'RED', when: [type('OVERDUE_RECTIFICATION')] },
  { id: 'VETO_VIOLENT_OBSTRUCTION', level: 'RED', when: [type('REFUSING_INSPECTION'), { fact: 'measures', operator: 'containsAny', value: ['ADMINISTRATIVE_DETENTION'] }] },
  { id: 'VETO_HEAVY_POLLUTION_WEATHER', level: 'RED', when: [type('HEAVY_POLLUTION_WEATHER_NONCOMPLIANCE')] },
];

/** One rule per table row; the event carries the row's rank so the first matching row wins. */
function tableRules(tables: Table[]): RuleProperties[] {
  return tables.flatMap((t) =>
    t.rows.map((row, rank) => ({
      name: `${t.indicator}#${rank}`,
      priority: 100 - rank,
      conditions: all(...t.where, ...row.when),
      event: { type: 'deduct', params: { indicator: t.indicator, category: t.category, cap: t.cap, rank, points: row.points, reason: row.reason } },
    })),
  );
}

function engineOf(rules: RuleProperties[]): Engine {
  const engine = new Engine(rules, { allowUndefinedFacts: true });
  engine.addOperator('containsAny', (factValue: unknown, jsonValue: unknown) => Array.isArray(factValue) && (jsonValue as unknown[]).some((v) => factValue.includes(v)));
  engine.addOperator('onOrAfter', (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a >= b);
  engine.addOperator('onOrBefore', (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a <= b);
  return engine;
}

export interface JreModel {
  /** Score and veto ids (sorted) of one enterprise, computed by json-rules-engine. */
  rate(evidence: EvidenceSet): Promise<{ score: number; vetoes: string[] }>;
}

export function jreModel(period: { start: string; end: string }, asOf: string): JreModel {
  const violationEngine = engineOf([
    ...tableRules(VIOLATION_TABLES),
    ...VETOES.map((v) => ({ name: v.id, priority: 1, conditions: all(...v.when), event: { type: 'veto', params: { id: v.id, level: v.level } } })),
  ]);
  const emissionEngine = engineOf(tableRules(EMISSION_TABLES));
  const context = { periodStart: period.start, periodEnd: period.end, asOf };
  const caps: Record<string, number> = { POLLUTION_PREVENTION: 45, ECOLOGICAL_PROTECTION: 10 };

  return {
    async rate(evidence) {
      const byIndicator = new Map<string, { category: string; cap: number; points: number }>();
      const vetoes = new Set<string>();
      const collect = (events: { type: string; params?: Record<string, any> }[]) => {
        let best: Map<string, Record<string, any>> | undefined;
        for (const e of events) {
          if (e.type === 'veto') vetoes.add(e.params!.id);
          else {
            best ??= new Map();
            const seen = best.get(e.params!.indicator);
            if (!seen || e.params!.rank < seen.rank) best.set(e.params!.indicator, e.params!);
          }
        }
        for (const p of best?.values() ?? []) {
          const acc = byIndicator.get(p.indicator) ?? { category: p.category, cap: p.cap, points: 0 };
          acc.points += p.points;
          byIndicator.set(p.indicator, acc);
        }
      };
      for (const v of evidence.violations) {
        const { events } = await violationEngine.run({
          ...context,
          date: v.decidedOn,
          violation_type: v.violationType,
          incident_severity: v.incidentSeverity,
          fine_cny: v.fineCny,
          measures: v.measures,
        });
        collect(events);
      }
      for (const e of evidence.emissions) {
        const { events } = await emissionEngine.run({
          ...context,
          date: e.periodEnd,
          unit: e.unit,
          monitoring_source: e.monitoringSource,
          exceedance_ratio: e.exceedanceRatio,
          exceedance_db: e.exceedanceDb,
          exceeded: exceedsPermit(e),
        });
        collect(events);
      }
      const byCategory = new Map<string, number>();
      for (const i of byIndicator.values()) byCategory.set(i.category, (byCategory.get(i.category) ?? 0) + Math.min(i.points, i.cap));
      let deduction = 0;
      for (const [category, points] of byCategory) deduction += Math.min(points, caps[category]!);
      return { score: Math.max(0, 100 - deduction), vetoes: [...vetoes].sort() };
    },
  };
}
