import { describe, expect, it } from 'vitest';
import { evidenceSetJson } from '../../src/evidence/evidence-json.ts';
import { emptyEvidenceSet, type EmissionEvidence, type EvidenceSet, type ViolationEvidence } from '../../src/evidence/evidence-set.ts';
import { canonicalJson } from '../../src/rules/canonical-json.ts';
import { addMonths, daysBetween, isIsoDate } from '../../src/rules/dates.ts';
import { evaluate, RatingInputError } from '../../src/rules/engine.ts';
import { explainRating } from '../../src/rules/explain.ts';
import { factsOf } from '../../src/rules/fields.ts';
import { loadRuleRegistry } from '../../src/rules/load.ts';
import { lookupVerdict, situationOf, situationOfRating } from '../../src/rules/lookup.ts';

const registry = loadRuleRegistry('rules');
const linjiang = registry.get('linjiang', '2025.1')!;
const points = registry.get('jiangsu-points', '2020.1')!;
const YEAR_2024 = { period: { start: '2024-01-01', end: '2024-12-31' }, asOf: '2025-03-01' };

function violation(id: number, fields: Partial<ViolationEvidence>): ViolationEvidence {
  return {
    id: `violation:${id}`,
    decisionNumber: `临环罚〔2024〕${id}号`,
    decidedOn: '2024-05-01',
    violationType: 'EXCEEDING_STANDARDS',
    incidentSeverity: null,
    fineCny: 0,
    measures: [],
    rectifiedOn: null,
    ...fields,
  };
}

function withViolations(...violations: ViolationEvidence[]): EvidenceSet {
  return { ...emptyEvidenceSet('91220681MA2000001X'), violations };
}

describe('the rating explains every point', () => {
  const rating = evaluate(
    linjiang,
    withViolations(violation(7, { fineCny: 30000, decidedOn: '2024-02-01' }), violation(9, { fineCny: 30000, decidedOn: '2024-03-01' })),
    YEAR_2024,
  );

  it('names the rule file by id, version and content hash', () => {
    expect(rating.ruleSet).toEqual({ id: 'linjiang', version: '2025.1', contentHash: linjiang.contentHash });
    expect(rating.ruleSet.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('lists the evidence behind each change, including the offence that escalated it', () => {
    const penalties = rating.categories[0]?.indicators.find((i) => i.id === 'P3_POLLUTION_PENALTIES');
    expect(penalties?.changes).toEqual([
      { reason: 'FINE_UNDER_50K', points: -3, evidence: ['violation:7'], escalation: null, note: null },
      { reason: 'FINE_UNDER_50K', points: -4.5, evidence: ['violation:9', 'violation:7'], escalation: { reason: 'REPEAT_OFFENCE', ordinal: 2, multiplier: 1.5 }, note: null },
    ]);
    expect(rating.score).toBe(92.5);
    expect(rating.evidence).toEqual(['violation:7', 'violation:9']);
  });

  it('reads as text with the ids and the institutions’ verdicts', () => {
    const text = explainRating(rating, linjiang);
    expect(text).toContain('level GREEN, score 92.5');
    expect(text).toContain('[violation:9, violation:7]');
    expect(text).toContain('LOAN (GREEN): PRIORITY');
  });
});

describe('discharge compliance (P1) by version', () => {
  // One outlet passes its twelve supervisory checks, another fails its only one.
  const checks = [
    ...Array.from({ length: 12 }, (_, i) => ({ outlet: 'DA001', month: i + 1, value: 50 })),
    { outlet: 'DA002', month: 6, value: 120 },
  ];
  const evidence: EvidenceSet = {
    ...emptyEvidenceSet('91220681MA2000001X'),
    emissions: checks.map((c, i) => ({
      id: `emission:${i + 1}`, periodStart: `2024-${String(c.month).padStart(2, '0')}-01`, periodEnd: `2024-${String(c.month).padStart(2, '0')}-28`, outletCode: c.outlet,
      pollutant: 'SO2', measuredValue: c.value, permittedLimit: 100, unit: 'mg/m3', monitoringSource: 'SUPERVISORY', exceedanceRatio: (c.value - 100) / 100, exceedanceDb: null,
    })),
  };
  const p1 = (version: string) => evaluate(registry.get('linjiang', version)!, evidence, YEAR_2024).categories[0]!.indicators.find((i) => i.id === 'P1_DISCHARGE_COMPLIANCE')!;

  it('2025.1 counts checks: 12 of 13 compliant, nothing deducted', () => {
    expect(p1('2025.1').changes).toEqual([]);
  });

  it('2026.1 counts outlets, as Annex 1 bands them: 1 of 2 compliant, 8 points, citing the failing check', () => {
    expect(p1('2026.1').changes).toEqual([
      { reason: 'DISCHARGE_RATE_50_75', points: -8, evidence: ['emission:13'], escalation: null, note: 'compliance rate 50% (1 of 2 by outlet_code compliant)' },
    ]);
  });
});

describe('a limit that is a range (pH 6-9, GB 8978)', () => {
  // As the database stores a pH record with a range: no ratio (migration 0018).
  const ph = (id: number, measuredValue: number): EmissionEvidence => ({
    id: `emission:${id}`, periodStart: '2024-06-01', periodEnd: '2024-06-30', outletCode: `DW00${id}`, pollutant: 'pH',
    measuredValue, permittedLimit: 9, permittedMinimum: 6, unit: 'pH', monitoringSource: 'SUPERVISORY', exceedanceRatio: null, exceedanceDb: null,
  });
  const exceeded = (...emissions: EmissionEvidence[]) =>
    Object.fromEntries(factsOf({ ...emptyEvidenceSet('91220681MA2000001X'), emissions }).emission.map((f) => [f.id, f.exceeded]));

  it('an acid discharge below the minimum and an alkaline one above the limit are exceeded; one inside is not', () => {
    expect(exceeded(ph(1, 2.0), ph(2, 10.5), ph(3, 7.2), ph(4, 6), ph(5, 9))).toEqual({
      'emission:1': true, 'emission:2': true, 'emission:3': false, 'emission:4': false, 'emission:5': false,
    });
  });

  it('a minimum counts for other units too, while the ratio still judges the upper limit', () => {
    const oxygen: EmissionEvidence = { ...ph(6, 3), pollutant: 'DO', unit: 'mg/L', permittedLimit: 20, permittedMinimum: 5, exceedanceRatio: -0.85 };
    expect(exceeded(oxygen, { ...oxygen, id: 'emission:7', measuredValue: 8, exceedanceRatio: -0.6 })).toEqual({ 'emission:6': true, 'emission:7': false });
  });

  it('a supervisory check of pH 2 at a 6-9 outlet deducts on P1 and P2', () => {
    const rating = evaluate(registry.get('linjiang', '2026.1')!, { ...emptyEvidenceSet('91220681MA2000001X'), emissions: [ph(1, 2.0)] }, {
      period: { start: '2024-01-01', end: '2024-12-31' }, asOf: '2025-03-01',
    });
    const changes = rating.categories[0]!.indicators.flatMap((i) => i.changes.map((c) => [i.id, c.reason, c.evidence]));
    expect(changes).toEqual([
      ['P1_DISCHARGE_COMPLIANCE', 'DISCHARGE_RATE_BELOW_50', ['emission:1']],
      ['P2_EXCEEDANCE_EVENTS', 'EXCEEDANCE_UNDER_50_SUPERVISORY', ['emission:1']],
    ]);
    expect(rating.score).toBeLessThan(100);
  });

  it('a record without a minimum writes no permittedMinimum into the evidence JSON (its fingerprint is unchanged)', () => {
    const { permittedMinimum: _, ...ceiling } = { ...ph(1, 50), unit: 'mg/L', pollutant: 'COD', permittedLimit: 100, exceedanceRatio: -0.5 };
    const json = evidenceSetJson({ ...emptyEvidenceSet('91220681MA2000001X'), emissions: [ceiling] });
    expect(json).not.toContain('permittedMinimum');
    expect(evidenceSetJson({ ...emptyEvidenceSet('91220681MA2000001X'), emissions: [ph(1, 2)] })).toContain('"permittedMinimum":6');
  });
});

describe('time', () => {
  it('ignores records dated after the as-of date', () => {
    const rating = evaluate(linjiang, withViolations(violation(1, { decidedOn: '2024-12-01', violationType: 'FALSIFIED_MONITORING_DATA' })), {
      period: YEAR_2024.period,
      asOf: '2024-11-30',
    });
    expect(rating.level).toBe('GREEN');
  });

  it('lets point-system deductions expire six months after the decision', () => {
    const fine = violation(1, { decidedOn: '2024-08-31', fineCny: 5000 });
    const rated = (asOf: string) => evaluate(points, withViolations(fine), { period: { start: '2024-03-01', end: asOf }, asOf }).score;
    expect(rated('2025-02-27')).toBe(9);
    // 31 August + 6 months is 28 February (end-of-month clamp): from that day the points are back.
    expect(rated('2025-02-28')).toBe(12);
  });

  it('does calendar arithmetic without time zones', () => {
    expect(addMonths('2024-08-31', 6)).toBe('2025-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2025-03-01', -24)).toBe('2023-03-01');
    expect(daysBetween('2024-12-31', '2025-01-31')).toBe(31);
    expect(isIsoDate('2025-02-29')).toBe(false);
  });

  it('refuses malformed periods instead of guessing', () => {
    expect(() => evaluate(linjiang, withViolations(), { period: { start: '2024-12-31', end: '2024-01-01' }, asOf: '2025-03-01' })).toThrow(RatingInputError);
    expect(() => evaluate(linjiang, withViolations(), { period: YEAR_2024.period, asOf: '2025/03/01' })).toThrow(RatingInputError);
  });
});

describe('output bytes', () => {
  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: -0 } })).toBe('{"a":{"c":0,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('the record order of the input does not change a byte', () => {
    const records = [violation(3, { decidedOn: '2024-06-01', fineCny: 1 }), violation(1, { decidedOn: '2024-02-01', fineCny: 1 }), violation(2, { decidedOn: '2024-06-01', fineCny: 1 })];
    const a = canonicalJson(evaluate(linjiang, withViolations(...records), YEAR_2024));
    const b = canonicalJson(evaluate(linjiang, withViolations(...[...records].reverse()), YEAR_2024));
    expect(a).toBe(b);
  });
});

describe('lookups', () => {
  it('answers from the rule version’s policy with its reason and premium', () => {
    expect(lookupVerdict(linjiang, 'INSURANCE', 'RED')).toEqual({
      purpose: 'INSURANCE',
      situation: 'RED',
      verdict: 'RESTRICTED',
      premiumMultiplier: 1.5,
      reasonCode: 'INS_RED',
      reason: expect.stringContaining('rate raised'),
      ruleSet: { id: 'linjiang', version: '2025.1', contentHash: linjiang.contentHash },
    });
    expect(lookupVerdict(linjiang, 'LOAN', 'GREEN').premiumMultiplier).toBeNull();
  });

  it('puts the blacklist above everything and leader status above GREEN and BLUE only', () => {
    expect(situationOf({ level: 'GREEN', blacklisted: true, leader: true })).toBe('BLACKLISTED');
    expect(situationOf({ level: null, blacklisted: false, leader: false })).toBe('NOT_RATED');
    expect(situationOf({ level: 'BLUE', blacklisted: false, leader: true })).toBe('LEADER');
    expect(situationOf({ level: 'YELLOW', blacklisted: false, leader: true })).toBe('YELLOW');
  });
});

describe('leader revocation for a serious violation that is no veto (linjiang 2027.1 revoke conditions)', () => {
  const revoking = registry.get('linjiang', '2027.1')!;
  const year2026 = { period: { start: '2026-01-01', end: '2026-12-31' }, asOf: '2026-12-31' };
  const leader = (...violations: ViolationEvidence[]): EvidenceSet => ({ ...emptyEvidenceSet('91220681MA2000001X', null, { leader: true, creditCommitment: false }), violations });
  // The domain review's repro: ordered to suspend production, sealed up, fined CNY 800,000 in all; no veto.
  const suspendedAndSealed = leader(
    violation(1, { decidedOn: '2026-03-01', violationType: 'NO_PERMIT', fineCny: 500000, measures: ['FINE', 'PRODUCTION_SUSPENSION'] }),
    violation(2, { decidedOn: '2026-06-01', violationType: 'PERMIT_CONDITIONS', fineCny: 300000, measures: ['FINE', 'SEAL_UP_SEIZURE'] }),
  );

  it('revokes the leader with the condition’s reason, though the level (BLUE) and the vetoes (none) would keep it', () => {
    const rating = evaluate(revoking, suspendedAndSealed, year2026);
    expect({ level: rating.level, score: rating.score, vetoes: rating.vetoes }).toEqual({ level: 'BLUE', score: 88, vetoes: [] });
    expect(rating.leader).toEqual({ action: 'REVOKE', termMonths: null, reasons: ['SERIOUS_VIOLATION_12_MONTHS'] });
    expect(situationOfRating(rating)).toBe('BLUE');
    expect(explainRating(rating, revoking)).toMatch(/Leader: status to be revoked \(SERIOUS_VIOLATION_12_MONTHS: .*CNY 50,000/);
  });

  it('keeps a leader fined under CNY 50,000 without a severe measure, and one whose serious penalty is older than 12 months', () => {
    const small = evaluate(revoking, leader(violation(1, { decidedOn: '2026-06-01', fineCny: 49999, measures: ['FINE', 'PRODUCTION_RESTRICTION'] })), year2026);
    expect(small.leader.action).toBe('KEEP');
    const old = evaluate(revoking, leader(violation(1, { decidedOn: '2025-12-31', fineCny: 500000, measures: ['PRODUCTION_SUSPENSION'] })), year2026);
    expect(old.leader.action).toBe('KEEP');
  });

  it('lists the condition after the level and veto reasons when several hold', () => {
    const rating = evaluate(revoking, leader(violation(1, { decidedOn: '2026-05-01', violationType: 'EIA_NOT_APPROVED', fineCny: 100000 })), year2026);
    expect(rating.leader.reasons).toEqual(['LEVEL_RED', 'VETO_EIA_NOT_APPROVED', 'SERIOUS_VIOLATION_12_MONTHS']);
  });

  it('concerns leaders only: an enterprise that is none is not proposed for anything', () => {
    const rating = evaluate(revoking, { ...suspendedAndSealed, standing: { leader: false, creditCommitment: false } }, year2026);
    expect(rating.leader.action).toBe('NONE');
  });

  it('leaves 2026.1 as it was: a used version replays byte for byte, so the correction is 2027.1', () => {
    expect(evaluate(registry.get('linjiang', '2026.1')!, suspendedAndSealed, year2026).leader.action).toBe('KEEP');
    expect(registry.effectiveOn('linjiang', '2026-12-31')?.version).toBe('2026.1');
    expect(registry.effectiveOn('linjiang', '2027-01-01')?.version).toBe('2027.1');
  });
});
