/**
 * A discharge limit that is a range (pH 6-9, GB 8978): an acid discharge below the minimum is an
 * exceedance, recorded through GraphQL and counted by the rating (migration 0018).
 */
import { gql } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-ph' };
const ACID = withCheckCharacter('91220681MA3000101');
const NEUTRAL = withCheckCharacter('91220681MA3000102');

const RECORD_EMISSION = gql`
  mutation($input: RecordEmissionInput!) {
    recordEmission(input: $input) { created record { id measuredValue permittedLimit permittedMinimum unit exceedanceRatio } }
  }
`;
const PREVIEW = gql`
  query($c: String!) {
    ratingPreview(creditCode: $c, ruleSetId: "linjiang", version: "2026.1", period: "2026") {
      score categories { id indicators { id changes { reason points evidence } } }
    }
  }
`;

function phCheck(overrides: Record<string, unknown> = {}) {
  return {
    creditCode: ACID, source: 'supervisory-monitoring', sourceId: `PH-${JSON.stringify(overrides)}`, periodStart: '2026-03-01', periodEnd: '2026-03-31',
    outletCode: 'DW001', pollutant: 'pH', measuredValue: 2.0, permittedLimit: 9, permittedMinimum: 6, unit: 'pH', monitoringSource: 'SUPERVISORY',
    ...overrides,
  };
}

beforeAll(async () => {
  server = await startTestServer();
  const client = server.client(officer);
  for (const [creditCode, name] of [[ACID, '临江市酸洗有限公司'], [NEUTRAL, '临江市中和有限公司']] as const) {
    await client.request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode, name, region: '大栗子街道', industry: 'C33', keyDischargeUnit: true },
    });
  }
});
afterAll(() => server?.stop());

describe('a pH record with its range', () => {
  it('stores the minimum and gives no ratio (a ratio of pH values means nothing)', async () => {
    const stored = await server.client(officer).request<any>(RECORD_EMISSION, { input: phCheck() });
    expect(stored.recordEmission).toMatchObject({
      created: true,
      record: { measuredValue: 2, permittedLimit: 9, permittedMinimum: 6, unit: 'pH', exceedanceRatio: null },
    });
  });

  it('counts pH 2.0 against 6-9 as an exceedance in the rating (P1 and P2), while pH 7.2 costs nothing', async () => {
    const client = server.client(officer);
    const acid = (await client.request<any>(RECORD_EMISSION, { input: phCheck() })).recordEmission.record.id;
    await client.request(RECORD_EMISSION, { input: phCheck({ creditCode: NEUTRAL, measuredValue: 7.2 }) });
    const changesOf = (preview: any) =>
      preview.categories.flatMap((c: any) => c.indicators.flatMap((i: any) => i.changes.map((change: any) => ({ indicator: i.id, ...change }))));

    const rated = (await client.request<any>(PREVIEW, { c: ACID })).ratingPreview;
    expect(changesOf(rated)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ indicator: 'P1_DISCHARGE_COMPLIANCE', evidence: [acid] }),
        expect.objectContaining({ indicator: 'P2_EXCEEDANCE_EVENTS', reason: 'EXCEEDANCE_UNDER_50_SUPERVISORY', evidence: [acid] }),
      ]),
    );
    const neutral = (await client.request<any>(PREVIEW, { c: NEUTRAL })).ratingPreview;
    expect(changesOf(neutral).filter((c: any) => c.indicator.startsWith('P1_') || c.indicator.startsWith('P2_'))).toEqual([]);
    expect(rated.score).toBeLessThan(neutral.score);
  });

  it('an alkaline discharge above the limit is an exceedance too', async () => {
    const client = server.client(officer);
    const alkaline = (await client.request<any>(RECORD_EMISSION, { input: phCheck({ creditCode: NEUTRAL, outletCode: 'DW002', measuredValue: 11.5 }) })).recordEmission.record.id;
    const changes = (await client.request<any>(PREVIEW, { c: NEUTRAL })).ratingPreview.categories[0].indicators.find((i: any) => i.id === 'P2_EXCEEDANCE_EVENTS').changes;
    expect(changes.map((c: any) => c.evidence)).toEqual([[alkaline]]);
  });
});

describe('validation of the range', () => {
  const refusal = async (input: Record<string, unknown>) => (await graphqlError(server.client(officer).request(RECORD_EMISSION, { input }))).extensions;

  it('needs both bounds for pH', async () => {
    const { permittedMinimum: _, ...withoutMinimum } = phCheck();
    expect(await refusal(withoutMinimum)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.permittedMinimum', expected: 'the lower bound of the pH range, e.g. 6' });
  });

  it('refuses a minimum at or above the limit', async () => {
    expect(await refusal(phCheck({ permittedMinimum: 9 }))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.permittedMinimum', expected: 'a number below 9' });
    const cod = phCheck({ pollutant: 'COD', unit: 'mg/L', measuredValue: 40, permittedLimit: 50, permittedMinimum: 60 });
    expect(await refusal(cod)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.permittedMinimum', expected: 'a number below 50' });
  });

  it('keeps pH values on the 0-14 scale and refuses a minimum for noise', async () => {
    expect(await refusal(phCheck({ measuredValue: 15 }))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.measuredValue', expected: '0 to 14' });
    expect(await refusal(phCheck({ permittedLimit: 90 }))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.permittedLimit', expected: '0 to 14' });
    const noise = phCheck({ outletCode: 'ZS01', pollutant: 'noise', unit: 'dB(A)', measuredValue: 58, permittedLimit: 65, permittedMinimum: 40 });
    expect(await refusal(noise)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.permittedMinimum', expected: 'no value for dB(A)' });
  });

  it('leaves records of other units without a minimum as they were', async () => {
    const { permittedMinimum: _, ...so2 } = phCheck({ sourceId: 'SO2-1', pollutant: 'SO2', unit: 'mg/m3', measuredValue: 80, permittedLimit: 100 });
    const stored = await server.client(officer).request<any>(RECORD_EMISSION, { input: so2 });
    expect(stored.recordEmission.record).toMatchObject({ permittedMinimum: null, exceedanceRatio: -0.2 });
  });
});
