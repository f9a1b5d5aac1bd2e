/**
 * Bulk import (issue 8): idempotence, all-or-nothing, the rejected-row report, dry runs, CSV with a
 * byte-order mark and Chinese text, NDJSON. Runs on PostgreSQL (COPY into staging) when
 * DATABASE_URL is set, on PGlite (INSERT into staging) otherwise.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { csvHeader, csvLines, generateChunks } from '../../src/import/generate.ts';
import { runImport, type ImportOptions } from '../../src/import/importer.ts';
import { fromString, ImportFileError } from '../../src/import/read-records.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const A = withCheckCharacter('91220681MA1000101');
const B = withCheckCharacter('91220681MA1000102');
const UNKNOWN = withCheckCharacter('91220681MA1000109');

let database: TestDatabase;
const run = (content: string, options: Omit<ImportOptions, 'actor'>) =>
  runImport(database.pool ? { pool: database.pool } : { db: database.db }, fromString(content), { actor: 'test-import', ...options });
const count = async (table: 'violations' | 'emission_records' | 'enterprises' | 'verified_complaints') =>
  Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

const ENTERPRISES_CSV =
  '\uFEFFcredit_code,name,region,industry,key_discharge_unit,legal_representative\r\n' +
  `${A},临江市甲矿业有限公司,大栗子街道,B08,是,张三\r\n` +
  `${B},"临江市""乙""水电有限公司，二厂",四道沟镇,D4413,否,\r\n`;

const violationsCsv = (rows: string[]) =>
  ['creditCode,source,sourceId,decisionNumber,decidedOn,violationType,incidentSeverity,legalBasis,fineCny,measures,description', ...rows].join('\n') + '\n';
const VIOLATION_1 = `${A},penalty-register,PR-1,临环罚〔2025〕1号,2025-03-14,EXCEEDING_STANDARDS,,《中华人民共和国大气污染防治法》第九十九条,120000,CORRECTION_ORDER,"超标排放
（两行说明）"`;
const VIOLATION_2 = `${B},penalty-register,PR-2,临环罚〔2025〕2号,2025-04-01,NOISE,,《中华人民共和国噪声污染防治法》,0,WARNING,`;

beforeAll(async () => {
  database = await createTestDatabase();
  const report = await run(ENTERPRISES_CSV, { kind: 'enterprises', format: 'csv' });
  expect(report).toMatchObject({ rows: 2, applied: 2, rejected: 0, enterprisesCreated: 2 });
});
afterAll(() => database?.dispose());

describe('envcredit import', () => {
  it('reads CSV with a byte-order mark, CRLF, quotes and Chinese text', async () => {
    const b = await database.db.selectFrom('enterprise_current').selectAll().where('credit_code', '=', B).executeTakeFirstOrThrow();
    expect(b.name).toBe('临江市"乙"水电有限公司，二厂');
    expect(b.key_discharge_unit).toBe(false);
    const a = await database.db.selectFrom('enterprise_current').selectAll().where('credit_code', '=', A).executeTakeFirstOrThrow();
    expect(a).toMatchObject({ name: '临江市甲矿业有限公司', region: '大栗子街道', key_discharge_unit: true, legal_representative: '张三' });
  });

  it('is idempotent: the same file twice adds nothing', async () => {
    const file = violationsCsv([VIOLATION_1, VIOLATION_2]);
    const first = await run(file, { kind: 'violations', format: 'csv' });
    expect(first).toMatchObject({ rows: 2, applied: 2, unchanged: 0, rejected: 0 });
    const second = await run(file, { kind: 'violations', format: 'csv' });
    expect(second).toMatchObject({ rows: 2, applied: 0, unchanged: 2, rejected: 0, rejections: [] });
    expect(await count('violations')).toBe(2);
    const stored = await database.db.selectFrom('violations').selectAll().where('source_id', '=', 'PR-1').executeTakeFirstOrThrow();
    // The same mapping as recordViolation: FINE implied by the fine, canonical order, numeric(14,2).
    expect(stored).toMatchObject({ measures: ['CORRECTION_ORDER', 'FINE'], fine_cny: '120000.00', description: '超标排放\n（两行说明）', recorded_by: 'test-import' });
    expect(await run(ENTERPRISES_CSV, { kind: 'enterprises', format: 'csv' })).toMatchObject({ applied: 0, unchanged: 2, enterprisesCreated: 0 });
  });

  it('reports every rejected row with its line, field and reason, and applies the valid ones', async () => {
    const before = await count('violations');
    const file = violationsCsv([
      `${A},penalty-register,PR-10,临环罚〔2025〕10号,2025-05-01,EXCEEDING_STANDARDS,,大气法,5000,,`, // line 2: valid
      `${A},penalty-register,PR-11,临环罚〔2025〕11号,2025-02-30,EXCEEDING_STANDARDS,,大气法,0,,`, // 3: bad date
      `${A},penalty-register,PR-12,临环罚〔2025〕12号,2025-05-01,ENVIRONMENTAL_INCIDENT,,大气法,0,,`, // 4: cross-field
      `${A.slice(0, 17)}X,penalty-register,PR-13,临环罚〔2025〕13号,2025-05-01,OTHER,,大气法,0,,`, // 5: check character
      `${UNKNOWN},penalty-register,PR-14,临环罚〔2025〕14号,2025-05-01,OTHER,,大气法,0,,`, // 6: unknown enterprise
      `${A},penalty-register,PR-1,临环罚〔2025〕1号,2025-03-14,EXCEEDING_STANDARDS,,大气法,999,,`, // 7: conflict with stored
      `${A},penalty-register,PR-15,临环罚〔2025〕15号,2025-05-01,SMOKING,,大气法,-1,,`, // 8: closed list
      `${A},penalty-register,PR-16`, // 9: wrong cell count
      `${A},penalty-register,PR-10,临环罚〔2025〕10号,2025-05-01,OTHER,,大气法,5000,,`, // 10: same key as line 2, other content
      `${A},penalty-register,PR-10,临环罚〔2025〕10号,2025-05-01,EXCEEDING_STANDARDS,,大气法,5000,,`, // 11: line 2 again, same content
      `${A},penalty-register,PR-17,临环罚〔2099〕17号,2099-06-01,FALSIFIED_MONITORING_DATA,,大气法,0,,`, // 12: a decision in the future
    ]);
    const report = await run(file, { kind: 'violations', format: 'csv' });
    expect(report).toMatchObject({ rows: 11, applied: 1, unchanged: 1, rejected: 9 });
    const byLine = (line: number) => report.rejections.filter((r) => r.line === line);
    expect(byLine(3)).toEqual([{ line: 3, field: 'decidedOn', reason: expect.stringContaining('not a calendar date') }]);
    expect(byLine(4)).toEqual([{ line: 4, field: 'incidentSeverity', reason: expect.stringContaining('ENVIRONMENTAL_INCIDENT') }]);
    expect(byLine(5)).toEqual([{ line: 5, field: 'creditCode', reason: expect.stringContaining('check character') }]);
    expect(byLine(6)).toEqual([{ line: 6, field: 'creditCode', reason: expect.stringContaining('not registered') }]);
    expect(byLine(7)).toEqual([{ line: 7, field: 'sourceId', reason: expect.stringContaining('already recorded with different content') }]);
    expect(byLine(8).map((r) => r.field)).toEqual(['violationType']);
    expect(byLine(9)).toEqual([{ line: 9, field: '(row)', reason: expect.stringContaining('cells') }]);
    expect(byLine(10)).toEqual([{ line: 10, field: 'sourceId', reason: expect.stringContaining('appears on line 2 with different content') }]);
    expect(byLine(11)).toEqual([]);
    expect(byLine(12)).toEqual([{ line: 12, field: 'decidedOn', reason: expect.stringContaining('after today') }]);
    expect(report.conflicts).toBe(2);
    expect(await count('violations')).toBe(before + 1);
  });

  it('refuses an enterprise listed twice in one file with different details, and registers the first', async () => {
    const C = withCheckCharacter('91220681MA1000103');
    const D = withCheckCharacter('91220681MA1000104');
    const file =
      'credit_code,name,region,industry\n' +
      `${C},临江市丙建材有限公司,六道沟镇,C3011\n` + // line 2
      `${D},临江市丁木业有限公司,花山镇,C2021\n` + // 3
      `${C},临江市丙建材股份有限公司,六道沟镇,C3011\n` + // 4: C again, another name
      `${D},临江市丁木业有限公司,花山镇,C2021\n`; // 5: D again, the same details
    const report = await run(file, { kind: 'enterprises', format: 'csv' });
    expect(report).toMatchObject({ rows: 4, applied: 2, unchanged: 1, rejected: 1, conflicts: 1, enterprisesCreated: 2 });
    expect(report.rejections).toEqual([{ line: 4, field: 'creditCode', reason: `enterprise ${C} appears on line 2 with different details` }]);
    const c = await database.db.selectFrom('enterprise_current').select('name').where('credit_code', '=', C).executeTakeFirstOrThrow();
    expect(c.name).toBe('临江市丙建材有限公司');
  });

  it('refuses a file whose header lacks required columns or has unknown ones', async () => {
    await expect(run('creditCode,source\n', { kind: 'violations', format: 'csv' })).rejects.toThrow(ImportFileError);
    await expect(run(violationsCsv([]).replace('description', 'remarks'), { kind: 'violations', format: 'csv' })).rejects.toThrow(/unknown column\(s\) remarks/);
  });

  it('writes nothing in a dry run, yet reports what it would do', async () => {
    const before = await count('violations');
    const enterprisesBefore = await count('enterprises');
    const file = violationsCsv([`${B},penalty-register,PR-20,临环罚〔2025〕20号,2025-06-01,NOISE,,噪声法,0,WARNING,`, VIOLATION_1]);
    const report = await run(file, { kind: 'violations', format: 'csv', dryRun: true });
    expect(report).toMatchObject({ dryRun: true, rows: 2, applied: 1, unchanged: 1, rejected: 0 });
    expect(await count('violations')).toBe(before);
    const enterprises = await run(`creditCode,name,region,industry\n${UNKNOWN},临江市丙化工有限公司,花山镇,C26\n`, { kind: 'enterprises', format: 'csv', dryRun: true });
    expect(enterprises).toMatchObject({ applied: 1, enterprisesCreated: 1 });
    expect(await count('enterprises')).toBe(enterprisesBefore);
  });

  it('is all-or-nothing: a failure during the apply leaves nothing', async () => {
    const before = await count('verified_complaints');
    await sql`create function import_test_boom() returns trigger language plpgsql as $$
      begin if new.source_id = 'BOOM' then raise exception 'boom'; end if; return new; end $$`.execute(database.owner);
    await sql`create trigger import_test_boom before insert on verified_complaints for each row execute function import_test_boom()`.execute(database.owner);
    try {
      const ndjson = ['OK-1', 'OK-2', 'BOOM', 'OK-3']
        .map((id, i) => JSON.stringify({ creditCode: A, source: 'hotline', sourceId: id, receivedOn: '2025-07-01', verifiedOn: `2025-07-0${i + 2}`, channel: 'HOTLINE', substantiated: true, summary: '群众反映夜间异味' }))
        .join('\n');
      await expect(run(ndjson, { kind: 'complaints', format: 'ndjson' })).rejects.toThrow(/boom/);
      expect(await count('verified_complaints')).toBe(before);
      // And a failure after the apply statement (the process killed before commit) leaves nothing either.
      const ok = ndjson.split('\n').filter((l) => !l.includes('BOOM')).join('\n');
      await expect(run(ok, { kind: 'complaints', format: 'ndjson', beforeApply: async () => {} })).resolves.toMatchObject({ applied: 3 });
      expect(await count('verified_complaints')).toBe(before + 3);
    } finally {
      await sql`drop trigger import_test_boom on verified_complaints`.execute(database.owner);
    }
  });

  it('a failure between staging and apply leaves nothing', async () => {
    const before = await count('violations');
    const file = violationsCsv([`${B},penalty-register,PR-30,临环罚〔2025〕30号,2025-06-01,NOISE,,噪声法,0,WARNING,`]);
    await expect(run(file, { kind: 'violations', format: 'csv', beforeApply: async () => { throw new Error('killed'); } })).rejects.toThrow('killed');
    expect(await count('violations')).toBe(before);
    expect(await run(file, { kind: 'violations', format: 'csv' })).toMatchObject({ applied: 1 });
  });

  it('reads NDJSON with typed or text values, and reports bad JSON by line', async () => {
    const lines = [
      JSON.stringify({ credit_code: A, source: 'online-monitoring', source_id: 'OM-1', period_start: '2025-01-01', period_end: '2025-01-31', outlet_code: 'DA001', pollutant: 'SO2', measured_value: 320.5, permitted_limit: '300', unit: 'mg/m3', monitoring_source: 'ONLINE_AUTOMATIC' }),
      '{not json',
      '',
      JSON.stringify({ creditCode: A, source: 'online-monitoring', sourceId: 'OM-2', periodStart: '2025-02-01', periodEnd: '2025-02-28', outletCode: 'DA001', pollutant: 'SO2', measuredValue: 10, permittedLimit: 300, unit: 'furlongs', monitoringSource: 'ONLINE_AUTOMATIC' }),
    ];
    const report = await run(lines.join('\n'), { kind: 'emissions', format: 'ndjson' });
    expect(report).toMatchObject({ rows: 3, applied: 1, rejected: 2 });
    expect(report.rejections).toEqual([
      { line: 2, field: '(row)', reason: expect.stringContaining('not valid JSON') },
      { line: 4, field: 'unit', reason: expect.stringContaining('unknown unit') },
    ]);
    const stored = await database.db.selectFrom('emission_records').selectAll().where('source_id', '=', 'OM-1').executeTakeFirstOrThrow();
    expect(Number(stored.exceedance_ratio)).toBeCloseTo(0.068333, 5);
  });

  it('reads permitted_minimum (a pH range), rejects a bad minimum by line and field, and is idempotent with and without one', async () => {
    const file = [
      'credit_code,source,source_id,period_start,period_end,outlet_code,pollutant,measured_value,permitted_limit,permitted_minimum,unit,monitoring_source',
      `${A},supervisory,PH-1,2025-03-01,2025-03-31,DW001,pH,2.0,9,6,pH,SUPERVISORY`,
      `${A},supervisory,PH-2,2025-03-01,2025-03-31,DW002,pH,7.1,9,,pH,SUPERVISORY`,
      `${A},supervisory,PH-3,2025-03-01,2025-03-31,DW003,pH,7.1,9,9.5,pH,SUPERVISORY`,
      `${A},supervisory,PH-4,2025-03-01,2025-03-31,ZS01,noise,58,65,40,dB(A),SUPERVISORY`,
      `${A},supervisory,PH-5,2025-03-01,2025-03-31,DW001,COD,40,50,,mg/L,SUPERVISORY`,
    ].join('\n');
    const report = await run(file, { kind: 'emissions', format: 'csv' });
    expect(report).toMatchObject({ rows: 5, applied: 2, rejected: 3 });
    expect(report.rejections).toEqual([
      { line: 3, field: 'permittedMinimum', reason: expect.stringContaining('is required for pH') },
      { line: 4, field: 'permittedMinimum', reason: expect.stringContaining('must be below permittedLimit (9)') },
      { line: 5, field: 'permittedMinimum', reason: expect.stringContaining('must be empty for noise') },
    ]);
    const stored = await database.db.selectFrom('emission_records').selectAll().where('source', '=', 'supervisory').orderBy('source_id').execute();
    expect(stored.map((r) => [r.source_id, r.permitted_minimum === null ? null : Number(r.permitted_minimum), r.exceedance_ratio === null ? null : Number(r.exceedance_ratio)])).toEqual([
      ['PH-1', 6, null],
      ['PH-5', null, -0.2],
    ]);
    expect(await run(file, { kind: 'emissions', format: 'csv' })).toMatchObject({ applied: 0, unchanged: 2, rejected: 3, conflicts: 0 });
    const ndjson = JSON.stringify({ creditCode: A, source: 'supervisory', sourceId: 'PH-1', periodStart: '2025-03-01', periodEnd: '2025-03-31', outletCode: 'DW001', pollutant: 'pH', measuredValue: 2, permittedLimit: 9, permittedMinimum: 6.5, unit: 'pH', monitoringSource: 'SUPERVISORY' });
    expect(await run(ndjson, { kind: 'emissions', format: 'ndjson' })).toMatchObject({ applied: 0, rejected: 1, conflicts: 1 }); // another minimum is other content
  });

  it('rejects a row whose fine the column cannot hold (COPY on PostgreSQL) instead of aborting on a numeric overflow', async () => {
    const file = violationsCsv([
      `${A},penalty-register,FINE-BIG,N-1,2025-01-02,NOISE,,law,1e12,,`,
      `${A},penalty-register,FINE-MAX,N-2,2025-01-02,NOISE,,law,999999999999.99,,`,
    ]);
    const report = await run(file, { kind: 'violations', format: 'csv', dryRun: true });
    expect(report).toMatchObject({ rows: 2, applied: 1, rejected: 1, rejections: [{ line: 2, field: 'fineCny' }] });
  });

  it('stores a quote inside an unquoted cell as written, and a single one does not swallow the following records', async () => {
    const inches = violationsCsv([`${A},penalty-register,Q-1,N-1,2025-01-02,NOISE,,law,0,,12" pipe reduced to 5" at outlet DA001`]);
    expect(await run(inches, { kind: 'violations', format: 'csv' })).toMatchObject({ rows: 1, applied: 1, rejected: 0 });
    const stored = await database.db.selectFrom('violations').select('description').where('source_id', '=', 'Q-1').executeTakeFirstOrThrow();
    expect(stored.description).toBe('12" pipe reduced to 5" at outlet DA001');
    const lines = ['Q-10,N-10,2025-01-02,NOISE,,law,0,,DN300 12" main', 'Q-11,N-11,2025-01-02,NOISE,,law,0,,ok', 'Q-12,N-12,2025-01-02,NOISE,,law,0,,ok'];
    const report = await run(violationsCsv(lines.map((l) => `${A},penalty-register,${l}`)), { kind: 'violations', format: 'csv', dryRun: true });
    expect(report).toMatchObject({ rows: 3, applied: 3, rejected: 0 });
  });

  it('loads generated files (the demo city distributions) with no rejection, twice without change', async () => {
    const [chunk] = [...generateChunks({ enterprises: 40, recordsPerEnterprise: 5, seed: 11 })];
    for (const kind of ['enterprises', 'violations', 'emissions', 'audits', 'disclosures', 'complaints', 'permit-reports'] as const) {
      const file = csvHeader(kind) + csvLines(kind, chunk![kind]);
      const first = await run(file, { kind, format: 'csv' });
      expect(first.rejections, kind).toEqual([]);
      expect(first.applied, kind).toBe(chunk![kind].length);
      expect(await run(file, { kind, format: 'csv' }), kind).toMatchObject({ applied: 0, unchanged: chunk![kind].length });
    }
  });
});
