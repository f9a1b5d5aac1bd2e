/**
 * A rating as of a day sees only the records dated by then: what it leaves out changes neither its
 * bytes nor its evidence fingerprint, which is why a run may leave those records unloaded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evidenceAsOf } from '../../src/evidence/as-of.ts';
import { evidenceSetJson } from '../../src/evidence/evidence-json.ts';
import type { EmissionEvidence, EvidenceSet } from '../../src/evidence/evidence-set.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { rateEnterprise, sha256 } from '../../src/rating/rate-enterprise.ts';
import { loadRuleRegistry } from '../../src/rules/load.ts';
import { evidenceSet } from '../support/evidence-arbitraries.ts';

const registry = loadRuleRegistry('rules');
const linjiang = registry.get('linjiang', '2025.1')!;
const rollingRules = registry.get('jiangsu-points', '2020.1')!;
const YEAR_2024 = parsePeriod('2024');

const emissionOn = (id: number, periodEnd: string): EmissionEvidence => ({
  id: `emission:${id}`,
  periodStart: periodEnd,
  periodEnd,
  outletCode: 'DA001',
  pollutant: 'SO2',
  measuredValue: 180,
  permittedLimit: 100,
  unit: 'mg/m3',
  monitoringSource: 'SUPERVISORY',
  exceedanceRatio: 0.8,
  exceedanceDb: null,
});

const base: EvidenceSet = {
  creditCode: '91220681MA2000001X',
  enterprise: { name: 'p', region: '220681', industry: 'C26', keyDischargeUnit: true, registeredOn: '2010-01-01', closedOn: null },
  standing: { leader: false, creditCommitment: false },
  violations: [],
  emissions: [emissionOn(1, '2024-06-30')],
  audits: [],
  disclosures: [],
  complaints: [],
  permitReports: [],
};

describe('evidenceAsOf', () => {
  it('keeps records dated on the as-of day, leaves out those dated after it, by the date each kind counts from', () => {
    const set: EvidenceSet = {
      ...base,
      emissions: [emissionOn(1, '2024-12-31'), emissionOn(2, '2025-01-01')],
      audits: [
        { id: 'audit:1', auditDate: '2024-11-01', level: 'I', accepted: true, acceptedOn: '2025-01-10' },
        { id: 'audit:2', auditDate: '2024-12-31', level: 'II', accepted: false, acceptedOn: null },
      ],
      disclosures: [
        { id: 'disclosure:1', year: 2024, status: 'COMPLETE', checkedOn: '2025-01-20' },
        { id: 'disclosure:2', year: 2025, status: 'COMPLETE', checkedOn: '2025-01-20' },
      ],
      permitReports: [{ id: 'permitReport:1', reportType: 'ANNUAL', periodEnd: '2024-12-31', dueOn: '2025-01-15', submittedOn: null, complete: false }],
    };
    const seen = evidenceAsOf(set, '2024-12-31');
    expect(seen.emissions.map((e) => e.id)).toEqual(['emission:1']);
    // An audit counts from its acceptance when accepted, from the audit otherwise.
    expect(seen.audits.map((a) => a.id)).toEqual(['audit:2']);
    // A disclosure counts from the end of the year it covers, whenever it was checked.
    expect(seen.disclosures.map((d) => d.id)).toEqual(['disclosure:1']);
    expect(seen.permitReports).toEqual([]);
    expect(set.emissions).toHaveLength(2); // the input is left as it was
  });

  it('gives back the same set when nothing is dated after the day', () => {
    expect(evidenceAsOf(base, '2024-12-31')).toBe(base);
  });
});

describe('a rating and the records dated after its as-of date', () => {
  it('a record dated after the period changes neither the rating nor its evidence fingerprint; one dated on its last day changes both', () => {
    const rate = (set: EvidenceSet) => rateEnterprise(linjiang, set, YEAR_2024).row;
    const before = rate(base);
    const later = rate({ ...base, emissions: [...base.emissions, emissionOn(2, '2025-01-01')] });
    const lastDay = rate({ ...base, emissions: [...base.emissions, emissionOn(2, '2024-12-31')] });
    expect(later.resultHash).toBe(before.resultHash);
    expect(later.evidenceFingerprint).toBe(before.evidenceFingerprint);
    expect(lastDay.evidenceFingerprint).not.toBe(before.evidenceFingerprint);
    expect(lastDay.result).toContain('emission:2');
  });

  it.each([
    ['linjiang, calendar year 2024', linjiang, parsePeriod('2024')],
    ['jiangsu-points, twelve months to 2024-09', rollingRules, parsePeriod('2024-09')],
  ])('%s: rating only what is dated by the period end gives the same bytes and fingerprint as rating everything', (_name, rules, period) => {
    fc.assert(
      fc.property(evidenceSet, (set) => {
        const whole = rateEnterprise(rules, set, period).row;
        const seen = evidenceAsOf(set, period.end);
        const trimmed = rateEnterprise(rules, seen, period).row;
        expect(trimmed.result).toBe(whole.result);
        expect(trimmed.evidenceFingerprint).toBe(whole.evidenceFingerprint);
        expect(whole.evidenceFingerprint).toBe(sha256(evidenceSetJson(seen)));
      }),
      { numRuns: 150 },
    );
  });
});
