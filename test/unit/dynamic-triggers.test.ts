import { describe, expect, it } from 'vitest';
import { emptyEvidenceSet, type EvidenceSet, type ViolationEvidence } from '../../src/evidence/evidence-set.ts';
import { dynamicTriggers } from '../../src/rating/dynamic.ts';
import { evaluate } from '../../src/rules/engine.ts';
import { loadRuleRegistry } from '../../src/rules/load.ts';

// A violation that makes a leader revoke condition hold acts at once, as a veto does (linjiang 2027.1).
const registry = loadRuleRegistry('rules');
const MARCH_2027 = { period: { start: '2026-04-01', end: '2027-03-31' }, asOf: '2027-03-31' };

function violation(id: number, fields: Partial<ViolationEvidence>): ViolationEvidence {
  return { id: `violation:${id}`, decisionNumber: `临环罚〔2027〕${id}号`, decidedOn: '2027-03-10', violationType: 'NO_PERMIT', incidentSeverity: null, fineCny: 0, measures: [], rectifiedOn: null, ...fields };
}

const evidenceOf = (leader: boolean, ...violations: ViolationEvidence[]): EvidenceSet => ({
  ...emptyEvidenceSet('91220681MA2000001X', null, { leader, creditCommitment: false }),
  violations,
});

function triggersOf(version: string, evidence: EvidenceSet, ref: string): string[] {
  const rules = registry.get('linjiang', version)!;
  return dynamicTriggers(rules, evaluate(rules, evidence, MARCH_2027), ref, evidence);
}

const suspension = violation(2, { fineCny: 500000, measures: ['FINE', 'PRODUCTION_SUSPENSION'] });

describe('dynamic triggers: a serious violation against a current leader', () => {
  it('re-rates at once when it makes the version in force revoke the leader', () => {
    expect(triggersOf('2027.1', evidenceOf(true, suspension), 'violation:2')).toEqual(['LEADER_REVOKED:SERIOUS_VIOLATION_12_MONTHS']);
  });

  it('not under 2026.1, which has no such condition, nor for an enterprise that is no leader', () => {
    expect(triggersOf('2026.1', evidenceOf(true, suspension), 'violation:2')).toEqual([]);
    expect(triggersOf('2027.1', evidenceOf(false, suspension), 'violation:2')).toEqual([]);
  });

  it('not for a small fine, even when an older serious penalty already meets the condition', () => {
    expect(triggersOf('2027.1', evidenceOf(true, violation(1, { fineCny: 8000, measures: ['FINE'] })), 'violation:1')).toEqual([]);
    const older = violation(1, { decidedOn: '2026-12-01', fineCny: 300000, measures: ['FINE', 'SEAL_UP_SEIZURE'] });
    const small = violation(3, { violationType: 'NOISE', fineCny: 8000, measures: ['FINE'] });
    expect(triggersOf('2027.1', evidenceOf(true, older, small), 'violation:3')).toEqual([]);
    expect(triggersOf('2027.1', evidenceOf(true, older, small), 'violation:1')).toEqual(['LEADER_REVOKED:SERIOUS_VIOLATION_12_MONTHS']);
  });

  it('for each of two serious penalties recorded together, and for a new serious one after an older one no version acted on', () => {
    const sealUp = violation(4, { fineCny: 200000, measures: ['FINE', 'SEAL_UP_SEIZURE'] });
    expect(triggersOf('2027.1', evidenceOf(true, suspension, sealUp), 'violation:2')).toEqual(['LEADER_REVOKED:SERIOUS_VIOLATION_12_MONTHS']);
    expect(triggersOf('2027.1', evidenceOf(true, suspension, sealUp), 'violation:4')).toEqual(['LEADER_REVOKED:SERIOUS_VIOLATION_12_MONTHS']);
    const december = violation(1, { decidedOn: '2026-12-01', fineCny: 300000, measures: ['FINE', 'SEAL_UP_SEIZURE'] });
    expect(triggersOf('2027.1', evidenceOf(true, december, suspension), 'violation:2')).toEqual(['LEADER_REVOKED:SERIOUS_VIOLATION_12_MONTHS']);
  });
});
