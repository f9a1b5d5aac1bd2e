import { gql } from 'graphql-request';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb' };

beforeAll(async () => {
  server = await startTestServer();
  await seedDemoCity(server.database.db, { seed: 7, enterprises: 200 });
}, 120_000);
afterAll(() => server?.stop());

describe('published rule sets', () => {
  it('lists every loaded version to anyone, with its content hash', async () => {
    const result = await server.client().request<any>(gql`{ ruleSets { id version contentHash effectiveFrom testCaseCount } }`);
    const ids = result.ruleSets.map((s: any) => `${s.id}/${s.version}`);
    expect(ids).toEqual(expect.arrayContaining(['linjiang/2025.1', 'jiangsu-points/2020.1']));
    for (const set of result.ruleSets) expect(set.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.ruleSets.find((s: any) => s.id === 'linjiang').testCaseCount).toBeGreaterThanOrEqual(25);
  });

  it('shows one version readable by a non-programmer: categories, vetoes, thresholds, lookup policy, the file itself', async () => {
    const result = await server.client().request<any>(gql`{
      ruleSet(id: "linjiang", version: "2025.1") {
        title categories { id title weightPercent indicators { id title basis } }
        vetoes { id forcesLevel } levels { level minScore }
        lookupPolicy { purpose situation verdict premiumMultiplier reasonCode }
        source
      }
    }`);
    const set = result.ruleSet;
    expect(set.categories.map((c: any) => c.id)).toEqual(['POLLUTION_PREVENTION', 'ECOLOGICAL_PROTECTION', 'ENVIRONMENTAL_MANAGEMENT', 'SOCIAL_SUPERVISION']);
    expect(set.vetoes.find((v: any) => v.id === 'VETO_FALSIFIED_MONITORING_DATA')?.forcesLevel).toBeDefined();
    expect(set.levels.map((l: any) => l.level)).toEqual(['GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK']);
    expect(set.lookupPolicy).toHaveLength(3 * 8);
    expect(set.lookupPolicy.filter((p: any) => p.purpose === 'INSURANCE').every((p: any) => typeof p.premiumMultiplier === 'number')).toBe(true);
    expect(set.source).toContain("id: linjiang");
  });

  it('answers NOT_FOUND for an unknown set and null for an unknown version of a known one', async () => {
    expect((await graphqlError(server.client().request(gql`{ ruleSet(id: "nowhere") { id } }`))).extensions.code).toBe('NOT_FOUND');
    expect((await server.client().request<any>(gql`{ ruleSet(id: "linjiang", version: "1999.1") { id } }`)).ruleSet).toBeNull();
  });
});

describe('ratingPreview', () => {
  const PREVIEW = gql`
    query($c: String!, $v: String!, $set: String!) {
      ratingPreview(creditCode: $c, ruleSetId: $set, version: $v, period: "2025") {
        id creditCode score level resultHash resultJson
        ruleSet { id version contentHash }
        categories { id points indicators { id points changes { reason points evidence } } }
        vetoes { id evidence }
      }
    }
  `;

  it('traces every point to evidence, names the rule file, and stores nothing', async () => {
    const { db } = server.database;
    const offender = (await sql<{ code: string }>`
      select trim(credit_code) as code from violations where decided_on between '2025-01-01' and '2025-12-31'
      group by credit_code order by count(*) desc, credit_code limit 1`.execute(db)).rows[0]!.code;
    const result = await server.client(officer).request<any>(PREVIEW, { c: offender, v: '2025.1', set: 'linjiang' });
    const preview = result.ratingPreview;
    expect(preview.id).toBeNull();
    expect(preview.ruleSet).toMatchObject({ id: 'linjiang', version: '2025.1' });
    expect(preview.ruleSet.contentHash).toMatch(/^sha256:/);
    const changes = preview.categories.flatMap((c: any) => c.indicators.flatMap((i: any) => i.changes));
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) expect(change.evidence.every((e: string) => /^[a-zA-Z]+:\d+$/.test(e))).toBe(true);
    const deducted = preview.categories.reduce((sum: number, c: any) => sum + c.points, 0);
    expect(preview.score).toBeLessThanOrEqual(100 + deducted + 10);
    expect(JSON.parse(preview.resultJson).score).toBe(preview.score);

    const again = await server.client(officer).request<any>(PREVIEW, { c: offender, v: '2025.1', set: 'linjiang' });
    expect(again.ratingPreview.resultJson).toBe(preview.resultJson);
    const stored = await db.selectFrom('ratings').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(0);
  });

  it('rates a leader as a run started now would: with its standing in the leader register', async () => {
    const { db } = server.database;
    // An enterprise with deductions in 2025 (so a bonus is not capped away) and no blacklisting.
    const code = (await sql<{ code: string }>`
      select trim(v.credit_code) as code from violations v
      where v.decided_on between '2025-01-01' and '2025-06-30' and v.violation_type = 'NOISE'
        and not exists (select 1 from blacklist_events b where b.credit_code = v.credit_code)
      order by v.credit_code limit 1`.execute(db)).rows[0]!.code;
    const SCORE = gql`query($c: String!) { ratingPreview(creditCode: $c, ruleSetId: "linjiang", version: "2025.1", period: "2025") { score resultJson } }`;
    const before = (await server.client(officer).request<any>(SCORE, { c: code })).ratingPreview;
    await server.client({ role: 'bureau_admin', org: 'linjiang-eeb', subject: 'admin-1' }).request(gql`mutation($input: LeaderDecisionInput!) { decideLeader(input: $input) { event } }`, {
      input: { creditCode: code, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '示范企业', termMonths: 12 },
    });
    const preview = (await server.client(officer).request<any>(SCORE, { c: code })).ratingPreview;
    expect(preview.score).toBeGreaterThan(before.score); // the leader bonus (B2)
    const started = await server.client(officer).request<any>(gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id } }`, {
      input: { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { creditCodes: [code] }, mode: 'SIMULATION' },
    });
    await server.service.tracker.completion(Number(started.startRatingRun.id.replace('run:', '')));
    const run = await server.client(officer).request<any>(gql`query($id: ID!) { ratingRun(id: $id) { ratings(first: 1) { edges { node { rating { resultJson } } } } } }`, { id: started.startRatingRun.id });
    expect(preview.resultJson).toBe(run.ratingRun.ratings.edges[0].node.rating.resultJson);
  });

  it('carries the point-system design without code changes', async () => {
    const code = (await sql<{ code: string }>`select trim(credit_code) as code from enterprises order by credit_code limit 1`.execute(server.database.db)).rows[0]!.code;
    const result = await server.client(officer).request<any>(PREVIEW, { c: code, v: '2020.1', set: 'jiangsu-points' });
    expect(result.ratingPreview.score).toBeLessThanOrEqual(12);
  });

  it('is for the bureau, and rejects bad input clearly', async () => {
    const code = '91310110666007217T';
    expect((await graphqlError(server.client({ role: 'bank', org: 'b' }).request(PREVIEW, { c: code, v: '2025.1', set: 'linjiang' }))).extensions.code).toBe('FORBIDDEN');
    expect((await graphqlError(server.client(officer).request(PREVIEW, { c: code, v: '2025.1', set: 'linjiang' }))).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'creditCode' });
    expect((await graphqlError(server.client(officer).request(PREVIEW, { c: '123', v: '2025.1', set: 'linjiang' }))).extensions.code).toBe('INVALID_CREDIT_CODE');
    expect((await graphqlError(server.client(officer).request(PREVIEW, { c: code, v: '9.9', set: 'linjiang' }))).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'version' });
  });
});
