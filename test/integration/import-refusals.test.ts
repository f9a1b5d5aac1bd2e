/**
 * What an import refuses instead of storing it garbled or failing with a raw database error: a file
 * that is not UTF-8 (refused as a whole, nothing written), text PostgreSQL cannot hold (U+0000), an
 * NDJSON field given twice under its two spellings, and an enterprise source key used for two
 * enterprises (rejected rows). Through runImport and through the CLI's importFile (the byte path).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { importFile } from '../../src/import/cli.ts';
import { runImport, type ImportOptions } from '../../src/import/importer.ts';
import { fromString, ImportFileError } from '../../src/import/read-records.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const A = withCheckCharacter('91220681MA1000301');
const B = withCheckCharacter('91220681MA1000302');
const C = withCheckCharacter('91220681MA1000303');
const D = withCheckCharacter('91220681MA1000304');
const E = withCheckCharacter('91220681MA1000305');
const F = withCheckCharacter('91220681MA1000306');
const G = withCheckCharacter('91220681MA1000307');
const H = withCheckCharacter('91220681MA1000308');

let database: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'envcredit-import-refusals-'));

const run = (content: string, options: Omit<ImportOptions, 'actor'>) =>
  runImport(database.pool ? { pool: database.pool } : { db: database.db }, fromString(content), { actor: 'test-import', ...options });

/** Writes bytes to a file and imports it the way `envcredit import` does. */
function runFile(name: string, bytes: Buffer, options: { kind: ImportOptions['kind']; format: ImportOptions['format'] }) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return importFile(database, path, { ...options, dryRun: false, actor: 'test-import' });
}

const count = async (table: 'violations' | 'enterprises' | 'enterprise_revisions') =>
  Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

/** 临江市 in GBK, as a spreadsheet on a Chinese-locale Windows saves it by default. */
const GBK_LINJIANG = Buffer.from('c1d9bdadcad0', 'hex');

const VIOLATIONS_HEADER = 'creditCode,source,sourceId,decisionNumber,decidedOn,violationType,legalBasis,fineCny,description\n';
const violation = (id: string, description: string) => `${A},penalty-register,${id},临环罚〔2025〕${id},2025-03-14,NOISE,噪声法,0,${description}\n`;

beforeAll(async () => {
  database = await createTestDatabase();
  const report = await run(`creditCode,name,region,industry\n${A},临江市甲建材有限公司,六道沟镇,C3011\n`, { kind: 'enterprises', format: 'csv' });
  expect(report).toMatchObject({ applied: 1, rejected: 0 });
});
afterAll(() => database?.dispose());

describe('a file that is not UTF-8', () => {
  it('is refused as a whole, naming the byte offset and line of the first invalid byte; nothing is written', async () => {
    const before = await count('enterprises');
    const header = Buffer.from('creditCode,name,region,industry\n');
    const line2 = Buffer.from(`${B},临江市乙建材有限公司,六道沟镇,C3011\n`); // valid UTF-8: it would be imported on its own
    const line3Start = Buffer.from(`${C},`);
    const bytes = Buffer.concat([header, line2, line3Start, GBK_LINJIANG, Buffer.from('丙建材有限公司,六道沟镇,C3011\n')]);
    const offset = header.length + line2.length + line3Start.length;
    const refusal = runFile('gbk.csv', bytes, { kind: 'enterprises', format: 'csv' });
    await expect(refusal).rejects.toThrow(ImportFileError);
    await expect(refusal).rejects.toThrow(new RegExp(`not valid UTF-8.*byte offset ${offset}.*line 3`));
    expect(await count('enterprises')).toBe(before);
  });

  it('is refused in NDJSON too, and when it ends inside a multi-byte character', async () => {
    const before = Buffer.from(`{"creditCode":"${B}","name":"`);
    const ndjson = Buffer.concat([before, GBK_LINJIANG, Buffer.from('","region":"六道沟镇","industry":"C3011"}\n')]);
    await expect(runFile('gbk.ndjson', ndjson, { kind: 'enterprises', format: 'ndjson' })).rejects.toThrow(new RegExp(`not valid UTF-8.*byte offset ${before.length} \\(line 1\\)`));
    const truncated = Buffer.concat([Buffer.from(`creditCode,name,region,industry\n${B},临江市乙建材有限公司,六道沟镇,C3011\n`), Buffer.from('临').subarray(0, 2)]);
    await expect(runFile('truncated.csv', truncated, { kind: 'enterprises', format: 'csv' })).rejects.toThrow(/not valid UTF-8.*ends inside a character/);
    expect(await count('enterprises')).toBe(1);
  });

  it('with a byte-order mark, UTF-8 is read as before', async () => {
    const bytes = Buffer.from(`\uFEFFcreditCode,name,region,industry\r\n${B},临江市乙建材有限公司,六道沟镇,C3011\r\n`);
    expect(await runFile('bom.csv', bytes, { kind: 'enterprises', format: 'csv' })).toMatchObject({ rows: 1, applied: 1, rejected: 0 });
    const stored = await database.db.selectFrom('enterprise_current').select('name').where('credit_code', '=', B).executeTakeFirstOrThrow();
    expect(stored.name).toBe('临江市乙建材有限公司');
  });

  it('envcredit import exits with status 1 and the offset, and writes nothing', async (context) => {
    if (!database.url) context.skip(); // the command connects by DATABASE_URL; PGlite lives in this process only
    const path = join(dir, 'gbk-cli.csv');
    writeFileSync(path, Buffer.concat([Buffer.from(VIOLATIONS_HEADER), Buffer.from(violation('PR-CLI-1', '')), Buffer.from(`${A},penalty-register,PR-CLI-2,`), GBK_LINJIANG]));
    const bin = new URL('../../src/cli/envcredit.mjs', import.meta.url).pathname;
    const result = await promisify(execFile)(process.execPath, [bin, 'import', '--kind', 'violations', path], {
      env: { ...process.env, DATABASE_URL: database.url!, DATABASE_APP_ROLE: '' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/gbk-cli\.csv: the file is not valid UTF-8.*byte offset \d+ \(line 3\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await count('violations')).toBe(0);
  });
});

describe('U+0000 in a value', () => {
  it('rejects the row, naming the line and field, in CSV and NDJSON, through both paths', async () => {
    const csv = VIOLATIONS_HEADER + violation('PR-NUL-1', 'ok') + violation('PR-NUL-2', 'a\u0000b');
    for (const report of [await run(csv, { kind: 'violations', format: 'csv' }), await runFile('nul.csv', Buffer.from(csv), { kind: 'violations', format: 'csv' })]) {
      expect(report.rejections).toEqual([{ line: 3, field: 'description', reason: expect.stringContaining('NUL character (U+0000)') }]);
      expect(report.rejected).toBe(1);
    }
    const ndjson = [
      { creditCode: A, source: 'penalty-register', sourceId: 'PR-NUL-3', decisionNumber: 'X-3', decidedOn: '2025-03-14', violationType: 'NOISE', legalBasis: '噪声法\u0000' },
      { creditCode: A, source: 'penalty-register', sourceId: 'PR-NUL-4', decisionNumber: 'X-4', decidedOn: '2025-03-14', violationType: 'NOISE', legalBasis: '噪声法' },
    ].map((r) => JSON.stringify(r)).join('\n'); // JSON.stringify writes the NUL as the escape \u0000
    expect(ndjson).toContain('\\u0000');
    const report = await run(ndjson, { kind: 'violations', format: 'ndjson' });
    expect(report).toMatchObject({ rows: 2, applied: 1, rejected: 1, rejections: [{ line: 1, field: 'legalBasis', reason: expect.stringContaining('U+0000') }] });
    const enterprises = await run(`creditCode,name,region,industry\n${D},临江市丁\u0000建材有限公司,六道沟镇,C3011\n`, { kind: 'enterprises', format: 'csv' });
    expect(enterprises).toMatchObject({ applied: 0, rejected: 1, rejections: [{ line: 2, field: 'name', reason: expect.stringContaining('U+0000') }] });
  });

  it('rejects a lone surrogate (from a JSON \\ud800 escape), which would be stored as U+FFFD', async () => {
    const line = `{"creditCode":"${A}","source":"penalty-register","sourceId":"PR-SUR-1","decisionNumber":"X-5","decidedOn":"2025-03-14","violationType":"NOISE","legalBasis":"噪声法","description":"a\\ud800b"}`;
    const report = await run(line, { kind: 'violations', format: 'ndjson' });
    expect(report).toMatchObject({ applied: 0, rejected: 1, rejections: [{ line: 1, field: 'description', reason: expect.stringContaining('surrogate') }] });
  });
});

describe('an NDJSON field given under both its spellings', () => {
  it('rejects the row instead of keeping the last value', async () => {
    const record = { creditCode: A, source: 'penalty-register', sourceId: 'PR-DUP-1', decisionNumber: 'X-6', decidedOn: '2025-03-14', decided_on: '2025-03-15', violationType: 'NOISE', legalBasis: '噪声法' };
    const ok = { ...record, sourceId: 'PR-DUP-2', decided_on: undefined };
    const report = await run([JSON.stringify(ok), JSON.stringify(record)].join('\n'), { kind: 'violations', format: 'ndjson' });
    expect(report).toMatchObject({ rows: 2, applied: 1, rejected: 1 });
    expect(report.rejections).toEqual([{ line: 2, field: 'decidedOn', reason: 'is given twice, as "decidedOn" and "decided_on"' }]);
    const twice = await run(JSON.stringify({ ...record, sourceId: 'PR-DUP-3', decided_on: undefined, legal_basis: 'x', 'Legal Basis': 'y' }), { kind: 'violations', format: 'ndjson' });
    expect(twice.rejections).toEqual([
      { line: 1, field: 'legalBasis', reason: 'is given twice, as "legalBasis" and "legal_basis"' },
      { line: 1, field: 'legalBasis', reason: 'is given twice, as "legalBasis" and "Legal Basis"' },
    ]);
    expect(twice).toMatchObject({ rows: 1, rejected: 1 });
  });
});

describe('an enterprise source key used for two enterprises', () => {
  it('within the file: rejects both lines, registers the rest', async () => {
    const before = await count('enterprise_revisions');
    const file =
      'creditCode,name,region,industry,source,sourceId\n' +
      `${E},临江市戊建材有限公司,六道沟镇,C3011,business-register,BR-1\n` + // line 2
      `${F},临江市己建材有限公司,六道沟镇,C3011,business-register,BR-1\n` + // 3: same key, another enterprise
      `${C},临江市丙建材有限公司,六道沟镇,C3011,business-register,BR-3\n`; // 4: fine
    const report = await run(file, { kind: 'enterprises', format: 'csv' });
    expect(report).toMatchObject({ rows: 3, applied: 1, rejected: 2, conflicts: 2, enterprisesCreated: 1 });
    expect(report.rejections).toEqual([
      { line: 2, field: 'sourceId', reason: `source business-register/BR-1 is used for more than one enterprise in this file (lines 2, 3)` },
      { line: 3, field: 'sourceId', reason: `source business-register/BR-1 is used for more than one enterprise in this file (lines 2, 3)` },
    ]);
    expect(await count('enterprise_revisions')).toBe(before + 1);
    const found = await database.db.selectFrom('enterprises').select('credit_code').where('credit_code', 'in', [E, F]).execute();
    expect(found).toEqual([]);
  });

  it('against stored rows: rejects the line, through both paths', async () => {
    const header = 'creditCode,name,region,industry,source,sourceId\n';
    expect(await run(header + `${G},临江市庚建材有限公司,六道沟镇,C3011,business-register,BR-7\n`, { kind: 'enterprises', format: 'csv' })).toMatchObject({ applied: 1 });
    const before = await count('enterprise_revisions');
    const file = header + `${G},临江市庚建材有限公司,六道沟镇,C3011,business-register,BR-7\n` + `${H},临江市辛建材有限公司,六道沟镇,C3011,business-register,BR-7\n`;
    const expected = { rows: 2, applied: 0, unchanged: 1, rejected: 1, conflicts: 1, rejections: [{ line: 3, field: 'sourceId', reason: `source business-register/BR-7 is already used for enterprise ${G}` }] };
    expect(await run(file, { kind: 'enterprises', format: 'csv' })).toMatchObject(expected);
    expect(await runFile('stored-key.csv', Buffer.from(file), { kind: 'enterprises', format: 'csv' })).toMatchObject(expected);
    expect(await count('enterprise_revisions')).toBe(before);
  });
});
