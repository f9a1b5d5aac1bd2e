import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evidenceSetJson } from '../../src/evidence/evidence-json.ts';
import type { EmissionEvidence, EvidenceSet } from '../../src/evidence/evidence-set.ts';
import { canonicalJson, jsonMemoFrozen, jsonNumber, jsonObject, jsonString } from '../../src/rules/canonical-json.ts';
import { evaluate } from '../../src/rules/engine.ts';
import { loadRuleRegistry } from '../../src/rules/load.ts';
import { ratingJson } from '../../src/rules/rating-json.ts';
import { evidenceSet } from '../support/evidence-arbitraries.ts';

// The writers are a faster way to the same bytes: a stored rating's hash and its evidence
// fingerprint are over canonicalJson, so any difference would make every verification fail.
const registry = loadRuleRegistry('rules');
const ruleSets = registry.setIds().flatMap((id) => registry.versions(id).map((version) => registry.get(id, version)!));
const OPTIONS = { period: { start: '2024-01-01', end: '2024-12-31' }, asOf: '2025-03-01' };

/** Any text where the sets carry text: quotes, backslashes, control characters, lone surrogates, CJK. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }));
const withOddText = fc.tuple(evidenceSet, anyText, anyText, anyText).map(([set, a, b, c]): EvidenceSet => ({
  ...set,
  enterprise: set.enterprise && { ...set.enterprise, name: `${a}"\\\n\u0000${b}`, region: c },
  violations: set.violations.map((v) => ({ ...v, decisionNumber: `${b}${v.decisionNumber}\t${a}` })),
  emissions: set.emissions.map((e, i) => (i % 3 === 2 ? withPhRange(e) : { ...e, outletCode: `${c}\u2028`, measuredValue: e.measuredValue / 3 })),
}));

/** A pH record with a range (migration 0018): the evidence JSON then carries permittedMinimum. */
function withPhRange(e: EmissionEvidence): EmissionEvidence {
  const measuredValue = (e.measuredValue % 140) / 10;
  return { ...e, pollutant: 'pH', unit: 'pH', measuredValue, permittedLimit: 9, permittedMinimum: measuredValue > 7 ? 6 : 6.5, exceedanceRatio: null, exceedanceDb: null };
}

describe('canonical writers', () => {
  it('write an evidence set exactly as canonicalJson does', () => {
    fc.assert(
      fc.property(withOddText, (set) => {
        expect(evidenceSetJson(set)).toBe(canonicalJson(set));
      }),
      { numRuns: 300 },
    );
    const empty: EvidenceSet = { ...fc.sample(evidenceSet, { numRuns: 1, seed: 1 })[0]!, enterprise: null, violations: [], emissions: [] };
    expect(evidenceSetJson(empty)).toBe(canonicalJson(empty));
  });

  it('write every rule set’s ratings exactly as canonicalJson does', () => {
    expect(ruleSets.length).toBeGreaterThan(1);
    let withChanges = 0;
    let withVetoes = 0;
    let withEscalations = 0;
    fc.assert(
      fc.property(withOddText, (set) => {
        for (const rules of ruleSets) {
          const rating = evaluate(rules, set, OPTIONS);
          if (rating.categories.some((c) => c.indicators.some((i) => i.changes.length > 0))) withChanges++;
          if (rating.vetoes.length > 0) withVetoes++;
          if (rating.categories.some((c) => c.indicators.some((i) => i.changes.some((change) => change.escalation)))) withEscalations++;
          expect(ratingJson(rating)).toBe(canonicalJson(rating));
        }
      }),
      { numRuns: 200 },
    );
    // The generated sets reach the parts of a rating that are empty for a clean enterprise.
    expect(withChanges).toBeGreaterThan(50);
    expect(withVetoes).toBeGreaterThan(10);
    expect(withEscalations).toBeGreaterThan(0);
  });

  it('leave out undefined optional properties and write numbers as JSON does', () => {
    const write = jsonObject<{ b: number; a?: string; c: string }>({ b: jsonNumber, a: jsonString, c: jsonString });
    for (const value of [
      { b: -0, c: 'x' },
      { b: Number.NaN, a: 'é', c: '' },
      { b: Infinity, a: undefined, c: '"' },
      { b: 1e21, a: '\ud800', c: 'z' },
      { b: 0.1 + 0.2, c: '\u007f' },
    ]) {
      expect(write(value)).toBe(canonicalJson(value));
    }
    expect(() => jsonObject<{ '1': number }>({ '1': jsonNumber })).toThrow(/numeric keys/);
  });

  it('remember only what they wrote for frozen objects', () => {
    const write = jsonMemoFrozen(jsonObject<{ n: number }>({ n: jsonNumber }));
    const open = { n: 1 };
    expect(write(open)).toBe('{"n":1}');
    open.n = 2;
    expect(write(open)).toBe('{"n":2}');
    expect(write(Object.freeze({ n: 3 }))).toBe('{"n":3}');
  });

  it('are given one shared, frozen result for an indicator no record moved', () => {
    const [clean] = fc.sample(evidenceSet, { numRuns: 1, seed: 3 });
    const bare: EvidenceSet = { ...clean!, violations: [], emissions: [], audits: [], disclosures: [], complaints: [], permitReports: [] };
    const rules = registry.get('linjiang', '2025.1')!;
    const [a, b] = [evaluate(rules, bare, OPTIONS), evaluate(rules, { ...bare, creditCode: '91220681MA0000001X' }, OPTIONS)];
    const first = a.categories[0]!.indicators[0]!;
    expect(first.changes).toEqual([]);
    expect(b.categories[0]!.indicators[0]).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.changes)).toBe(true);
    expect(() => first.changes.push({} as never)).toThrow(TypeError);
    expect(ratingJson(b)).toBe(canonicalJson(b));
  });
});
