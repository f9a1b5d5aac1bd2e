import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, evidenceSet, toViolation, violationFields } from '../support/evidence-arbitraries.ts';
import { canonicalJson } from '../../src/rules/canonical-json.ts';
import type { CompiledRuleSet } from '../../src/rules/compile.ts';
import { compareEvidenceIds, evaluate, levelRank, worstLevel, type EvaluateOptions } from '../../src/rules/engine.ts';
import { loadRuleRegistry } from '../../src/rules/load.ts';

const registry = loadRuleRegistry('rules');
const RULE_SETS: [string, CompiledRuleSet, EvaluateOptions][] = [
  ['linjiang', registry.get('linjiang', '2025.1')!, { period: { start: '2024-01-01', end: '2024-12-31' }, asOf: '2025-03-01' }],
  ['jiangsu-points', registry.get('jiangsu-points', '2020.1')!, { period: { start: '2024-03-02', end: '2025-03-01' }, asOf: '2025-03-01' }],
];

const RUNS = { numRuns: 150 };

describe.each(RULE_SETS)('%s properties', (_name, rules, options) => {
  it('the score stays within the rule file’s bounds', () => {
    fc.assert(
      fc.property(evidenceSet, (evidence) => {
        const { score } = evaluate(rules, evidence, options);
        return Number.isFinite(score) && score >= rules.scoring.min && score <= rules.scoring.max;
      }),
      RUNS,
    );
  });

  it('adding a violation never raises the score nor improves the level', () => {
    fc.assert(
      fc.property(evidenceSet, violationFields, (evidence, extra) => {
        const before = evaluate(rules, evidence, options);
        const added = { ...evidence, violations: [...evidence.violations, toViolation(evidence.violations.length + 1, extra)] };
        const after = evaluate(rules, added, options);
        expect(after.score).toBeLessThanOrEqual(before.score);
        expect(levelRank(after.level)).toBeGreaterThanOrEqual(levelRank(before.level));
      }),
      RUNS,
    );
  });

  it('a veto always wins over points', () => {
    fc.assert(
      fc.property(evidenceSet, (evidence) => {
        const rating = evaluate(rules, evidence, options);
        expect(rating.level).toBe(worstLevel([rating.scoreLevel, ...rating.vetoes.map((v) => v.forcesLevel)]));
        for (const veto of rating.vetoes) expect(levelRank(rating.level)).toBeGreaterThanOrEqual(levelRank(veto.forcesLevel));
      }),
      RUNS,
    );
  });

  it('the same input gives the same bytes, whatever the record order', () => {
    fc.assert(
      fc.property(evidenceSet, (evidence) => {
        const reversed = {
          ...evidence,
          violations: [...evidence.violations].reverse(),
          emissions: [...evidence.emissions].reverse(),
          complaints: [...evidence.complaints].reverse(),
        };
        const first = canonicalJson(evaluate(rules, evidence, options));
        expect(canonicalJson(evaluate(rules, structuredClone(evidence), options))).toBe(first);
        expect(canonicalJson(evaluate(rules, reversed, options))).toBe(first);
      }),
      RUNS,
    );
  });
});

describe('linjiang veto', () => {
  it('falsified monitoring data in the period makes any enterprise BLACK, however good its points', () => {
    const [, rules, options] = RULE_SETS[0]!;
    fc.assert(
      fc.property(evidenceSet, fc.integer({ min: 0, max: 365 }), (evidence, day) => {
        const falsified = toViolation(999, { decidedOn: addDays('2024-01-01', day), violationType: 'FALSIFIED_MONITORING_DATA', incidentSeverity: 'GENERAL', fineCny: 0, measures: [], rectifiedOn: null });
        const rating = evaluate(rules, { ...evidence, violations: [...evidence.violations, falsified] }, options);
        expect(rating.level).toBe('BLACK');
      }),
      { numRuns: 60 },
    );
  });
});

describe('compareEvidenceIds', () => {
  /** The definition: split on ':', kind then number (missing parts as '' and 0). */
  const bySplitting = (a: string, b: string): number => {
    const [kindA = '', numberA = '0'] = a.split(':');
    const [kindB = '', numberB = '0'] = b.split(':');
    if (kindA !== kindB) return kindA < kindB ? -1 : 1;
    return Number(numberA) - Number(numberB);
  };
  const id = fc.oneof(
    fc.tuple(fc.constantFrom('violation', 'emission', 'audit', 'permitReport'), fc.nat()).map(([kind, n]) => `${kind}:${n}`),
    fc.string({ maxLength: 8 }),
    fc.array(fc.constantFrom('a', ':', '1', '0', ''), { maxLength: 6 }).map((parts) => parts.join('')),
  );

  it('orders as splitting each id would, without splitting', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(Object.is(compareEvidenceIds(a, b), bySplitting(a, b)) || compareEvidenceIds(a, b) === bySplitting(a, b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(['violation:10', 'audit:3', 'violation:9'].sort(compareEvidenceIds)).toEqual(['audit:3', 'violation:9', 'violation:10']);
  });
});
