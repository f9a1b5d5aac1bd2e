/** The importEvidence mutation: same report as `envcredit import`, bureau roles only, bounded size. */
import { gql } from 'graphql-request';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

const A = withCheckCharacter('91220681MA1000201');
const B = withCheckCharacter('91220681MA1000202');
let server: TestServer;

const IMPORT = gql`
  mutation ($kind: ImportKind!, $format: ImportFormat!, $content: String!, $dryRun: Boolean) {
    importEvidence(kind: $kind, format: $format, content: $content, dryRun: $dryRun) {
      kind format dryRun rows applied unchanged rejected conflicts enterprisesCreated
      rejections { line field reason }
    }
  }
`;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('importEvidence', () => {
  it('imports enterprises and evidence, idempotently, with the rejected-row report', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const enterprises = `\uFEFFcreditCode,name,region,industry\n${A},临江市丁建材有限公司,六道沟镇,C3011\n`;
    const first: any = await officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content: enterprises });
    expect(first.importEvidence).toMatchObject({ kind: 'ENTERPRISES', applied: 1, enterprisesCreated: 1, rejected: 0 });

    const disclosures = [
      { creditCode: A, source: 'disclosure-check', sourceId: 'DC-2025-1', year: 2025, status: 'COMPLETE', checkedOn: '2026-03-01' },
      { creditCode: A, source: 'disclosure-check', sourceId: 'DC-2025-2', year: 2025, status: 'LATE', checkedOn: '2024-03-01' },
    ].map((r) => JSON.stringify(r)).join('\n');
    const dry: any = await officer.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content: disclosures, dryRun: true });
    expect(dry.importEvidence).toMatchObject({ dryRun: true, applied: 1, rejected: 1 });
    const report: any = await officer.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content: disclosures });
    expect(report.importEvidence).toMatchObject({ rows: 2, applied: 1, rejected: 1, rejections: [{ line: 2, field: 'checkedOn', reason: 'cannot be before the year it checks' }] });
    const again: any = await officer.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content: disclosures });
    expect(again.importEvidence).toMatchObject({ applied: 0, unchanged: 1, rejected: 1 });

    const stored: any = await officer.request(gql`query ($c: String!) { enterprise(creditCode: $c) { informationDisclosures { edges { node { sourceId status recordedBy } } } } }`, { c: A });
    expect(stored.enterprise.informationDisclosures.edges).toHaveLength(1);
  });

  it('refuses a file it cannot read as VALIDATION_FAILED on content', async () => {
    const officer = server.client({ role: 'bureau_admin', org: 'linjiang-eeb' });
    const error = await graphqlError(officer.request(IMPORT, { kind: 'VIOLATIONS', format: 'CSV', content: 'creditCode,colour\n' }));
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'content' });
  });

  it('refuses content that was not UTF-8 (U+FFFD where the bytes were), naming the line', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    // A GBK file read as UTF-8 (by a browser or a script) arrives with U+FFFD for its Chinese text.
    const content = `creditCode,name,region,industry\n${B},\uFFFD\uFFFD\uFFFD,\uFFFD\uFFFD,C3011\n`;
    const error = await graphqlError(officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content }));
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'content' });
    expect(error.message).toMatch(/line 2.*U\+FFFD.*UTF-8/);
    // The same when the request body itself carries the GBK bytes: the server decodes them to U+FFFD.
    const json = JSON.stringify({ query: IMPORT, variables: { kind: 'ENTERPRISES', format: 'CSV', content: `creditCode,name,region,industry\n${B},@GBK@,六道沟镇,C3011\n` } });
    const [head, tail] = json.split('@GBK@');
    const body = Buffer.concat([Buffer.from(head!), Buffer.from('c1d9bdadcad0', 'hex') /* 临江市 in GBK */, Buffer.from(tail!)]);
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token({ role: 'bureau_officer', org: 'linjiang-eeb' })}` },
      body,
    });
    const answer = (await response.json()) as { errors?: { message: string; extensions: Record<string, unknown> }[] };
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'content' });
    expect(await server.database.db.selectFrom('enterprises').select('credit_code').where('credit_code', '=', B).executeTakeFirst()).toBeUndefined();
  });

  it('reports U+0000 in a value and an NDJSON field given twice as rejected rows', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const content = [
      `{"creditCode":"${A}","source":"disclosure-check","sourceId":"DC-NUL","year":2025,"status":"COMPLETE","checkedOn":"2026-03-01","source_id":"DC-NUL-2"}`,
      `{"creditCode":"${A}","source":"disclosure-check\\u0000","sourceId":"DC-NUL-3","year":2025,"status":"COMPLETE","checkedOn":"2026-03-01"}`,
    ].join('\n');
    const report: any = await officer.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content });
    expect(report.importEvidence).toMatchObject({
      rows: 2,
      applied: 0,
      rejected: 2,
      rejections: [
        { line: 1, field: 'sourceId', reason: 'is given twice, as "sourceId" and "source_id"' },
        { line: 2, field: 'source', reason: expect.stringContaining('U+0000') },
      ],
    });
  });

  it('reports an enterprise source key used for two enterprises as rejected rows, and registerEnterprise as a CONFLICT', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const [c, d] = [withCheckCharacter('91220681MA1000203'), withCheckCharacter('91220681MA1000204')];
    const content = `creditCode,name,region,industry,source,sourceId\n${c},临江市丙建材有限公司,六道沟镇,C3011,business-register,BR-9\n${d},临江市丁建材有限公司,六道沟镇,C3011,business-register,BR-9\n`;
    const report: any = await officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content });
    expect(report.importEvidence).toMatchObject({ applied: 0, rejected: 2, conflicts: 2 });
    expect(report.importEvidence.rejections.map((r: any) => [r.line, r.field])).toEqual([[2, 'sourceId'], [3, 'sourceId']]);

    const register = gql`mutation ($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`;
    const input = { creditCode: c, name: '临江市丙建材有限公司', region: '六道沟镇', industry: 'C3011', source: 'business-register', sourceId: 'BR-10' };
    expect(await officer.request(register, { input })).toEqual({ registerEnterprise: { created: true } });
    const error = await graphqlError(officer.request(register, { input: { ...input, creditCode: d, name: '临江市丁建材有限公司' } }));
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.sourceId' });
    expect(error.message).toContain(`business-register/BR-10 is already used for enterprise ${c}`);
  });

  it('a violation that forces a level re-rates and lists its enterprise at once, as recordViolation does', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const C = withCheckCharacter('91220681MA1000203');
    await officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content: `creditCode,name,region,industry\n${C},临江市戊化工有限公司,六道沟镇,C2614\n` });
    const decidedOn = server.clock.now().toISOString().slice(0, 10);
    const violations = [
      { creditCode: C, source: 'penalty-register', sourceId: 'IMP-FALSIFIED-1', decisionNumber: '临环罚〔2026〕88号', decidedOn, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《大气污染防治法》', fineCny: 200000 },
      { creditCode: C, source: 'penalty-register', sourceId: 'IMP-NOISE-1', decisionNumber: '临环罚〔2026〕89号', decidedOn, violationType: 'NOISE', legalBasis: '《噪声污染防治法》', fineCny: 5000 },
    ].map((r) => JSON.stringify(r)).join('\n');
    const IMPORT_ADJUSTING = gql`mutation ($content: String!, $dryRun: Boolean) { importEvidence(kind: VIOLATIONS, format: NDJSON, content: $content, dryRun: $dryRun) { applied dynamicAdjustments } }`;
    const dry: any = await officer.request(IMPORT_ADJUSTING, { content: violations, dryRun: true });
    expect(dry.importEvidence).toEqual({ applied: 2, dynamicAdjustments: null });
    const report: any = await officer.request(IMPORT_ADJUSTING, { content: violations });
    expect(report.importEvidence).toEqual({ applied: 2, dynamicAdjustments: 1 });

    const bank = server.client({ role: 'bank', org: 'bank-1', subject: 'loans' });
    const check: any = await bank.request(gql`query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { level blacklisted verdict } }`, { c: C });
    expect(check.creditCheck).toMatchObject({ level: 'BLACK', blacklisted: true, verdict: 'PROHIBITED' });
    // The same file again stores nothing and adjusts nothing.
    expect(((await officer.request(IMPORT_ADJUSTING, { content: violations })) as any).importEvidence).toEqual({ applied: 0, dynamicAdjustments: 0 });
  });

  it('screens imported violations on the evidence as the database recorded it, whatever the service clock says', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const C = withCheckCharacter('91220681MA1000207');
    await officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content: `creditCode,name,region,industry\n${C},临江市辛化工有限公司,六道沟镇,C2614\n` });
    // The service's legal clock runs five minutes behind the database's, which stamps recorded_at.
    const lag = server.clock.now().getTime() - Date.now() + 5 * 60_000;
    server.clock.advance(-lag);
    try {
      const decidedOn = server.clock.now().toISOString().slice(0, 10);
      const violation = JSON.stringify({ creditCode: C, source: 'penalty-register', sourceId: 'IMP-SKEW-1', decisionNumber: '临环罚〔2026〕97号', decidedOn, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《大气污染防治法》', fineCny: 200000 });
      const report: any = await officer.request(gql`mutation ($content: String!) { importEvidence(kind: VIOLATIONS, format: NDJSON, content: $content) { applied dynamicAdjustments } }`, { content: violation });
      expect(report.importEvidence).toEqual({ applied: 1, dynamicAdjustments: 1 });
    } finally {
      server.clock.advance(lag);
    }
  });

  it('answers dynamicAdjustments null when the adjustments fail after the commit, and the next import that stores violations makes them', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const [E, F] = [withCheckCharacter('91220681MA1000205'), withCheckCharacter('91220681MA1000206')];
    await officer.request(IMPORT, { kind: 'ENTERPRISES', format: 'CSV', content: `creditCode,name,region,industry\n${E},临江市己化工有限公司,六道沟镇,C2614\n${F},临江市庚化工有限公司,六道沟镇,C2614\n` });
    const decidedOn = server.clock.now().toISOString().slice(0, 10);
    const falsified = (code: string, n: number) =>
      JSON.stringify({ creditCode: code, source: 'penalty-register', sourceId: `IMP-PENDING-${n}`, decisionNumber: `临环罚〔2026〕${90 + n}号`, decidedOn, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《大气污染防治法》', fineCny: 200000 });
    const IMPORT_ADJUSTING = gql`mutation ($content: String!) { importEvidence(kind: VIOLATIONS, format: NDJSON, content: $content) { applied dynamicAdjustments } }`;
    const effectsOf = async (code: string) =>
      Number((await server.database.db.selectFrom('rating_effects').select((eb) => eb.fn.countAll<string>().as('n')).where('credit_code', '=', code).executeTakeFirstOrThrow()).n);

    // The owner refuses new effects for a while: the import commits, its adjustment cannot be made.
    await sql`create function test_refuse_effects() returns trigger language plpgsql as $$ begin raise exception 'injected: effects refused'; end $$`.execute(server.database.owner);
    await sql`create trigger test_refuse_effects before insert on rating_effects for each row execute function test_refuse_effects()`.execute(server.database.owner);
    let failed: any;
    try {
      failed = await officer.request(IMPORT_ADJUSTING, { content: falsified(E, 1) });
    } finally {
      await sql`drop trigger test_refuse_effects on rating_effects`.execute(server.database.owner);
      await sql`drop function test_refuse_effects()`.execute(server.database.owner);
    }
    expect(failed.importEvidence).toEqual({ applied: 1, dynamicAdjustments: null });
    expect(await effectsOf(E)).toBe(0);

    // The next import that stores violations makes the one left pending too; its report counts its own.
    const next: any = await officer.request(IMPORT_ADJUSTING, { content: falsified(F, 2) });
    expect(next.importEvidence).toEqual({ applied: 1, dynamicAdjustments: 1 });
    expect([await effectsOf(E), await effectsOf(F)]).toEqual([1, 1]);
  });

  it('rejects the one row whose fine the column cannot hold and applies the others, instead of failing as a whole', async () => {
    const officer = server.client({ role: 'bureau_officer', org: 'linjiang-eeb' });
    const content =
      'creditCode,source,sourceId,decisionNumber,decidedOn,violationType,legalBasis,fineCny\n' +
      `${A},penalty-register,FINE-BIG,N-1,2025-01-02,NOISE,law,1000000000000\n${A},penalty-register,FINE-CENTS,N-2,2025-01-02,NOISE,law,595014822.69\n`;
    const report: any = await officer.request(IMPORT, { kind: 'VIOLATIONS', format: 'CSV', content, dryRun: true });
    expect(report.importEvidence).toMatchObject({ rows: 2, applied: 1, rejected: 1, rejections: [{ line: 2, field: 'fineCny' }] });
  });

  it('is for bureau roles only', async () => {
    const bank = server.client({ role: 'bank', org: 'bank-a' });
    const error = await graphqlError(bank.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content: '' }));
    expect(error.extensions.code).toBe('FORBIDDEN');
  });
});
