import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { registerEnterprise } from '../../src/evidence/enterprise-store.ts';
import { evidenceAsOf } from '../../src/evidence/as-of.ts';
import { evidenceSetJson } from '../../src/evidence/evidence-json.ts';
import { loadEvidenceSet, loadEvidenceSets, type EvidenceSet } from '../../src/evidence/evidence-set.ts';
import { evidenceChains, offencesOf } from '../../src/evidence/supersession.ts';
import { recordEvidence, withdrawEvidence, type EvidenceValues } from '../../src/evidence/evidence-store.ts';
import type { EvidenceKind } from '../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const A = withCheckCharacter('91220681MA2000001');
const B = withCheckCharacter('91220681MA2000002');
const EMPTY = withCheckCharacter('91220681MA2000003');
const ACID = withCheckCharacter('91220681MA2000004');
let database: TestDatabase;
let sequence = 0;

const violationValues = (decidedOn: string, fine: string): EvidenceValues => ({
  decision_number: `临环罚〔2024〕${decidedOn}`,
  decided_on: decidedOn,
  violation_type: 'EXCEEDING_STANDARDS',
  incident_severity: null,
  legal_basis: '大气污染防治法第九十九条',
  fine_cny: fine,
  measures: ['FINE'],
  rectified_on: null,
  description: null,
});

async function record(kind: EvidenceKind, code: string, values: EvidenceValues, supersedesId: number | null = null): Promise<number> {
  sequence += 1;
  const stored = await recordEvidence(database.db, kind, {
    creditCode: code,
    source: 'test',
    sourceId: `s${sequence}`,
    recordedBy: 'test',
    supersedesId,
    correctionReason: supersedesId === null ? null : 'corrected on review',
    values,
  });
  return Number(stored.row.id);
}

let kept: number;
let corrected: number;
let correction: number;
let withdrawn: number;
let emission: number;
let otherEnterprise: number;
let movedLater: number;
let movedLaterCorrection: number;

beforeAll(async () => {
  database = await createTestDatabase();
  for (const [code, registeredOn] of [[A, '2010-05-01'], [B, null], [EMPTY, null], [ACID, null]] as const) {
    await registerEnterprise(
      database.db,
      code,
      { name: `企业${code.slice(-3)}`, region: '220681', industry: 'C26', legalRepresentative: null, keyDischargeUnit: code === A, permitNumber: null, registeredOn, closedOn: null },
      { source: 'test', sourceId: `e-${code}`, recordedBy: 'test' },
    );
  }
  kept = await record('violation', A, violationValues('2024-03-01', '30000.00'));
  corrected = await record('violation', A, violationValues('2024-04-01', '80000.00'));
  correction = await record('violation', A, violationValues('2024-04-01', '8000.00'), corrected);
  withdrawn = await record('violation', A, violationValues('2024-05-01', '250000.00'));
  await withdrawEvidence(database.db, 'violation', { id: withdrawn, source: 'test', sourceId: 'withdraw-1', reason: 'annulled on review', recordedBy: 'test' });
  emission = await record('emission', A, {
    period_start: '2024-01-01', period_end: '2024-03-31', outlet_code: 'DA001', pollutant: 'SO2',
    measured_value: '120', permitted_limit: '100', unit: 'mg/m3', monitoring_source: 'SUPERVISORY',
  });
  await record('audit', A, { audit_date: '2023-05-01', level: 'I', accepted: true, accepted_on: '2023-06-01', auditor: null });
  await record('disclosure', A, { year: 2024, status: 'LATE', checked_on: '2025-02-01' });
  await record('complaint', A, { received_on: '2024-06-01', verified_on: '2024-06-10', channel: 'MEDIA', substantiated: true, summary: '夜间异味' });
  await record('permitReport', A, { report_type: 'ANNUAL', period_end: '2024-12-31', due_on: '2025-01-15', submitted_on: null, complete: false });
  otherEnterprise = await record('violation', B, violationValues('2024-06-01', '1000.00'));
  // For datedBy, around 2024-12-31 on B: an audit never accepted counts from its date, one accepted
  // from its acceptance; a record corrected to a later date leaves with its correction.
  await record('audit', B, { audit_date: '2024-12-31', level: 'II', accepted: false, accepted_on: null, auditor: null });
  await record('audit', B, { audit_date: '2024-11-01', level: 'I', accepted: true, accepted_on: '2025-01-10', auditor: null });
  await record('disclosure', B, { year: 2025, status: 'COMPLETE', checked_on: '2025-01-20' });
  await record('complaint', B, { received_on: '2024-12-20', verified_on: '2025-01-02', channel: 'MEDIA', substantiated: true, summary: '噪声' });
  movedLater = await record('violation', B, violationValues('2024-07-01', '1000.00'));
  movedLaterCorrection = await record('violation', B, violationValues('2025-02-01', '1000.00'), movedLater);
  await record('emission', B, {
    period_start: '2024-12-01', period_end: '2024-12-31', outlet_code: 'DA001', pollutant: 'SO2',
    measured_value: '90', permitted_limit: '100', unit: 'mg/m3', monitoring_source: 'ONLINE_AUTOMATIC',
  });
  await record('emission', B, {
    period_start: '2024-12-01', period_end: '2025-01-01', outlet_code: 'DA001', pollutant: 'SO2',
    measured_value: '90', permitted_limit: '100', unit: 'mg/m3', monitoring_source: 'ONLINE_AUTOMATIC',
  });
});

afterAll(() => database?.dispose());

describe('loadEvidenceSet', () => {
  it('returns only current records: corrections replace, withdrawals remove', async () => {
    const set = await loadEvidenceSet(database.db, A);
    expect(set.violations.map((v) => v.id)).toEqual([`violation:${kept}`, `violation:${correction}`]);
    expect(set.violations[1]).toMatchObject({ decidedOn: '2024-04-01', fineCny: 8000, violationType: 'EXCEEDING_STANDARDS', measures: ['FINE'], incidentSeverity: null });
  });

  it('converts every kind to engine input with evidence ids, dates as strings and numbers as numbers', async () => {
    const set = await loadEvidenceSet(database.db, A, { standing: { leader: true, creditCommitment: false } });
    expect(set.enterprise).toMatchObject({ industry: 'C26', keyDischargeUnit: true, registeredOn: '2010-05-01' });
    expect(set.standing).toEqual({ leader: true, creditCommitment: false });
    expect(set.emissions).toEqual([
      {
        id: `emission:${emission}`, periodStart: '2024-01-01', periodEnd: '2024-03-31', outletCode: 'DA001', pollutant: 'SO2',
        measuredValue: 120, permittedLimit: 100, unit: 'mg/m3', monitoringSource: 'SUPERVISORY', exceedanceRatio: 0.2, exceedanceDb: null,
      },
    ]);
    // Every field of every kind, so a column read into the wrong field cannot pass.
    expect(set.violations[1]).toEqual({
      id: `violation:${correction}`, decisionNumber: '临环罚〔2024〕2024-04-01', decidedOn: '2024-04-01', violationType: 'EXCEEDING_STANDARDS',
      incidentSeverity: null, fineCny: 8000, measures: ['FINE'], rectifiedOn: null,
    });
    expect(set.audits).toEqual([{ id: expect.stringMatching(/^audit:\d+$/), auditDate: '2023-05-01', level: 'I', accepted: true, acceptedOn: '2023-06-01' }]);
    expect(set.disclosures).toEqual([{ id: expect.stringMatching(/^disclosure:\d+$/), year: 2024, status: 'LATE', checkedOn: '2025-02-01' }]);
    expect(set.complaints).toEqual([{ id: expect.stringMatching(/^complaint:\d+$/), receivedOn: '2024-06-01', verifiedOn: '2024-06-10', channel: 'MEDIA', substantiated: true }]);
    expect(set.permitReports).toEqual([{ id: expect.stringMatching(/^permitReport:\d+$/), reportType: 'ANNUAL', periodEnd: '2024-12-31', dueOn: '2025-01-15', submittedOn: null, complete: false }]);
  });

  it('sees the evidence as it was known at an earlier instant', async () => {
    const before = await loadEvidenceSet(database.db, A, { knownAt: new Date(Date.now() + 60_000) });
    expect(before.violations).toHaveLength(2);
    const nothingYet = await loadEvidenceSet(database.db, A, { knownAt: new Date('2000-01-01T00:00:00Z') });
    expect(nothingYet.violations).toEqual([]);
  });

  it('gives an empty set for an enterprise without evidence', async () => {
    const set = await loadEvidenceSet(database.db, EMPTY);
    expect(set.enterprise?.name).toBeTruthy();
    expect([set.violations, set.emissions, set.audits, set.disclosures, set.complaints, set.permitReports].every((l) => l.length === 0)).toBe(true);
  });
});

describe('a limit that is a range (migration 0018)', () => {
  const ph = (values: Partial<EvidenceValues>): EvidenceValues => ({
    period_start: '2024-03-01', period_end: '2024-03-31', outlet_code: 'DW001', pollutant: 'pH',
    measured_value: '2.0', permitted_limit: '9', permitted_minimum: '6', unit: 'pH', monitoring_source: 'SUPERVISORY', ...values,
  });

  it('loads a pH record with its minimum and no ratio; a record without one writes no permittedMinimum into the evidence JSON', async () => {
    const id = await record('emission', ACID, ph({}));
    const set = await loadEvidenceSet(database.db, ACID);
    expect(set.emissions).toEqual([
      {
        id: `emission:${id}`, periodStart: '2024-03-01', periodEnd: '2024-03-31', outletCode: 'DW001', pollutant: 'pH',
        measuredValue: 2, permittedLimit: 9, permittedMinimum: 6, unit: 'pH', monitoringSource: 'SUPERVISORY', exceedanceRatio: null, exceedanceDb: null,
      },
    ]);
    expect(evidenceSetJson(await loadEvidenceSet(database.db, A))).not.toContain('permittedMinimum');
  });

  it('the database refuses what input validation refuses: pH with one bound, a minimum not below the limit, a minimum for noise', async () => {
    for (const values of [
      ph({ permitted_minimum: null }),
      ph({ measured_value: '15' }),
      ph({ permitted_minimum: '9' }),
      ph({ unit: 'mg/L', pollutant: 'COD', measured_value: '40', permitted_limit: '50', permitted_minimum: '50' }),
      ph({ unit: 'dB(A)', pollutant: 'noise', measured_value: '58', permitted_limit: '65', permitted_minimum: '40' }),
    ]) {
      await expect(record('emission', ACID, values), JSON.stringify(values)).rejects.toMatchObject({ code: '23514' }); // check_violation
    }
  });

  it('a pH record can still be withdrawn (the withdrawal copies it)', async () => {
    const id = await record('emission', ACID, ph({ outlet_code: 'DW002' }));
    await withdrawEvidence(database.db, 'emission', { id, source: 'test', sourceId: 'withdraw-ph', reason: 'sample mislabelled', recordedBy: 'test' });
    const set = await loadEvidenceSet(database.db, ACID);
    expect(set.emissions.map((e) => e.outletCode)).toEqual(['DW001']);
  });
});

describe('loadEvidenceSets', () => {
  it('loads many enterprises at once, each with only its own records', async () => {
    const sets = await loadEvidenceSets(database.db, [B, A, B, EMPTY]);
    expect([...sets.keys()]).toEqual([A, B, EMPTY].sort());
    expect(sets.get(B)?.violations.map((v) => v.id)).toEqual([`violation:${otherEnterprise}`, `violation:${movedLaterCorrection}`]);
    expect(sets.get(A)?.violations).toHaveLength(2);
    expect(sets.get(EMPTY)?.violations).toEqual([]);
  });

  it('datedBy leaves out exactly the records a rating as of that day cannot see (evidenceAsOf)', async () => {
    const everything = await loadEvidenceSets(database.db, [A, B, EMPTY]);
    const recordCount = (set: EvidenceSet) => set.violations.length + set.emissions.length + set.audits.length + set.disclosures.length + set.complaints.length + set.permitReports.length;
    const counts: number[] = [];
    for (const day of ['2023-05-31', '2023-06-01', '2024-03-31', '2024-04-01', '2024-06-09', '2024-06-10', '2024-12-30', '2024-12-31', '2025-01-01', '2025-01-09', '2025-01-10', '2025-01-15', '2025-12-31']) {
      const dated = await loadEvidenceSets(database.db, [A, B, EMPTY], { datedBy: day });
      for (const code of [A, B, EMPTY]) expect(dated.get(code), `${code} as of ${day}`).toEqual(evidenceAsOf(everything.get(code)!, day));
      counts.push([...dated.values()].reduce((n, set) => n + recordCount(set), 0));
    }
    // The days chosen do move records in and out: the comparison above is not between empty sets.
    expect(new Set(counts).size).toBeGreaterThan(8);
    const yearEnd = (await loadEvidenceSets(database.db, [B], { datedBy: '2024-12-31' })).get(B)!;
    expect(yearEnd.audits.map((a) => a.auditDate)).toEqual(['2024-12-31']);
    expect(yearEnd.emissions.map((e) => e.periodEnd)).toEqual(['2024-12-31']);
    expect(yearEnd.violations.map((v) => v.id)).toEqual([`violation:${otherEnterprise}`]);
    expect(yearEnd.disclosures).toEqual([]);
    expect(yearEnd.complaints).toEqual([]);
  });

  it('evidenceChains follows each record to the first and the latest row of its chain', async () => {
    const ref = (id: number) => `violation:${id}`;
    const chains = await evidenceChains(database.db, [ref(kept), ref(corrected), ref(correction), ref(withdrawn), ref(movedLater), 'violation:99999999', 'not-evidence']);
    expect(Object.fromEntries(chains)).toEqual({
      [ref(kept)]: { root: ref(kept), latest: ref(kept), withdrawn: false },
      [ref(corrected)]: { root: ref(corrected), latest: ref(correction), withdrawn: false },
      [ref(correction)]: { root: ref(corrected), latest: ref(correction), withdrawn: false },
      [ref(withdrawn)]: { root: ref(withdrawn), latest: expect.stringMatching(/^violation:\d+$/), withdrawn: true },
      [ref(movedLater)]: { root: ref(movedLater), latest: ref(movedLaterCorrection), withdrawn: false },
    });
    expect(chains.get(ref(withdrawn))!.latest).not.toBe(ref(withdrawn));
    expect(await offencesOf(database.db, [ref(correction), ref(kept), 'not-evidence'])).toEqual(new Set([ref(corrected), ref(kept), 'not-evidence']));
  });

  it('returns an empty map for no codes', async () => {
    expect((await loadEvidenceSets(database.db, [])).size).toBe(0);
  });
});
