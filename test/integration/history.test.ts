import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { registerEnterprise } from '../../src/evidence/enterprise-store.ts';
import { recordEvidence } from '../../src/evidence/evidence-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const CODE = withCheckCharacter('91220681MA2000001');
let database: TestDatabase;
let violationId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const provenance = { source: 'test', sourceId: 'e1', recordedBy: 'test' };
  await registerEnterprise(database.db, CODE, {
    name: '临江市测试矿业有限公司', region: '六道沟镇', industry: 'B09', legalRepresentative: null,
    keyDischargeUnit: true, permitNumber: null, registeredOn: '2010-05-01', closedOn: null,
  }, provenance);
  const stored = await recordEvidence(database.db, 'violation', {
    creditCode: CODE, source: 'test', sourceId: 'v1', recordedBy: 'test', supersedesId: null, correctionReason: null,
    values: {
      decision_number: '临环罚〔2025〕9号', decided_on: '2025-06-01', violation_type: 'NOISE', incident_severity: null,
      legal_basis: '噪声法', fine_cny: '10000.00', measures: ['FINE'], rectified_on: null, description: null,
    },
  });
  violationId = Number(stored.row.id);
});

afterAll(() => database?.dispose());

describe('evidence is history', () => {
  it.each([
    ['update', () => sql`update violations set fine_cny = 0 where id = ${violationId}`],
    ['delete', () => sql`delete from violations where id = ${violationId}`],
    ['truncate', () => sql`truncate violations cascade`],
    ['update an enterprise revision', () => sql`update enterprise_revisions set name = 'x'`],
  ])('the database refuses %s, even to the owner', async (_name, statement) => {
    // The owner is stopped by the trigger; the service's own role (when the suite runs as one) by privilege first.
    await expect(statement().execute(database.owner)).rejects.toThrow(/history and cannot be changed/);
    if (database.appRole) await expect(statement().execute(database.db)).rejects.toThrow(/permission denied/);
    const row = await database.db.selectFrom('violations').select('fine_cny').where('id', '=', violationId).executeTakeFirstOrThrow();
    expect(Number(row.fine_cny)).toBe(10000);
  });

  it('derives the exceedance ratio (concentrations) and difference (noise) in the database', async () => {
    const emission = (sourceId: string, unit: string, measured: string, limit: string) =>
      recordEvidence(database.db, 'emission', {
        creditCode: CODE, source: 'test', sourceId, recordedBy: 'test', supersedesId: null, correctionReason: null,
        values: {
          period_start: '2025-01-01', period_end: '2025-01-31', outlet_code: 'DA001', pollutant: 'SO2',
          measured_value: measured, permitted_limit: limit, unit, monitoring_source: 'SUPERVISORY',
        },
      });
    const so2 = await emission('em1', 'mg/m3', '150', '100');
    expect(Number(so2.row.exceedance_ratio)).toBe(0.5);
    expect(so2.row.exceedance_db).toBeNull();
    const noise = await emission('em2', 'dB(A)', '68', '65');
    expect(Number(noise.row.exceedance_db)).toBe(3);
    expect(noise.row.exceedance_ratio).toBeNull();
  });

  it('two concurrent identical records store one row', async () => {
    const write = {
      creditCode: CODE, source: 'test', sourceId: 'race', recordedBy: 'test', supersedesId: null, correctionReason: null,
      values: { year: 2025, status: 'LATE', checked_on: '2026-02-01' },
    };
    const results = await Promise.all([recordEvidence(database.db, 'disclosure', write), recordEvidence(database.db, 'disclosure', write)]);
    expect(results.map((r) => r.row.id)[0]).toBe(results[1]!.row.id);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});
