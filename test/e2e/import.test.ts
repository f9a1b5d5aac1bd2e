/** The importEvidence mutation: same report as `envcredit import`, bureau roles only, bounded size. */
import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

const A = withCheckCharacter('91220681MA1000201');
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

  it('is for bureau roles only', async () => {
    const bank = server.client({ role: 'bank', org: 'bank-a' });
    const error = await graphqlError(bank.request(IMPORT, { kind: 'DISCLOSURES', format: 'NDJSON', content: '' }));
    expect(error.extensions.code).toBe('FORBIDDEN');
  });
});
