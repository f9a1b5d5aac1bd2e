import { gql } from 'graphql-request';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { lifecycleRulesDir } from '../support/rules.ts';
import { expectHistoryRefused } from '../support/db.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };

const START = gql`
  mutation Start($input: StartRatingRunInput!) { startRatingRun(input: $input) { id status mode } }
`;
const RUN = gql`
  query Run($id: ID!) {
    ratingRun(id: $id) {
      id status mode ruleVersion ruleHash period inputFingerprint
      progress { done total }
      levelCounts { level count }
    }
  }
`;

async function waitForRun(id: string): Promise<any> {
  const client = server.client(officer);
  await server.service.tracker.completion(Number(id.replace('run:', '')));
  return (await client.request<any>(RUN, { id })).ratingRun;
}

async function startRun(version: string, mode: 'DRAFT' | 'SIMULATION') {
  const started = await server.client(officer).request<any>(START, {
    input: { ruleSetId: 'linjiang', version, period: '2025', scope: { all: true }, mode },
  });
  expect(started.startRatingRun.status).toBe('RUNNING');
  return waitForRun(started.startRatingRun.id);
}

let draft: any;
let simulation: any;
/** Enterprises registered and open at some point in 2025: the ones a 2025 run rates. */
let population: number;
/** Closed before 2025 or registered after it: in the register, not rated for 2025. */
let notInPeriod: string[];

beforeAll(async () => {
  server = await startTestServer({ RULES_DIR: lifecycleRulesDir(10), LOG_LEVEL: 'error' });
  const counts = await seedDemoCity(server.database.db, { seed: 220681 });
  const outside = await sql<{ credit_code: string }>`
    select trim(credit_code) as credit_code from enterprise_current
    where closed_on < '2025-01-01' or registered_on > '2025-12-31' order by credit_code`.execute(server.database.db);
  notInPeriod = outside.rows.map((r) => r.credit_code);
  population = counts.enterprises - notInPeriod.length;
}, 120_000);

afterAll(() => server?.stop());

describe('a draft run of the whole demo city', () => {
  it('rates every enterprise and records rule hash, counts and input fingerprint', async () => {
    draft = await startRun('2025.1', 'DRAFT');
    expect(draft).toMatchObject({ status: 'DRAFTED', mode: 'DRAFT', ruleVersion: '2025.1', period: '2025', progress: { done: population, total: population } });
    expect(draft.ruleHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(draft.inputFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const total = draft.levelCounts.reduce((sum: number, c: any) => sum + c.count, 0);
    expect(total).toBe(population);
    expect(draft.levelCounts.map((c: any) => c.level)).toContain('GREEN');
    // The demo city has enterprises closed before the year or registered after it: they are not rated.
    expect(notInPeriod.length).toBeGreaterThan(0);
    const rated = await sql<{ n: string }>`select count(*) as n from ratings where run_id = ${Number(draft.id.replace('run:', ''))} and trim(credit_code) = any(${notInPeriod})`.execute(server.database.db);
    expect(Number(rated.rows[0]!.n)).toBe(0);
  });

  it('verifies with zero differences while the evidence is unchanged', async () => {
    const result = await server.client(officer).request<any>(gql`query($id: ID!) { verifyRatingRun(id: $id) { checked differing differences { creditCode } } }`, { id: draft.id });
    expect(result.verifyRatingRun).toEqual({ checked: population, differing: 0, differences: [] });
  });

  it('is not public while it is a draft', async () => {
    expect((await graphqlError(server.client().request(RUN, { id: draft.id }))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client({ role: 'bank', org: 'b' }).request(RUN, { id: draft.id }))).extensions.code).toBe('FORBIDDEN');
  });

  it('rejects a period that is not a year or month, and an unknown rule version', async () => {
    const client = server.client(officer);
    const badPeriod = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: 'last year', scope: { all: true }, mode: 'DRAFT' } }));
    expect(badPeriod.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.period' });
    const badVersion = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '1999.1', period: '2025', scope: { all: true }, mode: 'DRAFT' } }));
    expect(badVersion.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'version' });
    const twoScopes = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { all: true, region: '花山镇' }, mode: 'DRAFT' } }));
    expect(twoScopes.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.scope' });
    const wildcard = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { industry: '%' }, mode: 'DRAFT' } }));
    expect(wildcard.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.scope.industry' });
  });

  it('rates the kind of period its rule file rates, and drafts only a period that has ended', async () => {
    const client = server.client(officer);
    const rolling = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: '2025-06', scope: { all: true }, mode: 'DRAFT' } }));
    expect(rolling.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.period', expected: 'YYYY (a calendar year)' });
    const thisYear = server.clock.now().toISOString().slice(0, 4);
    const running = await graphqlError(client.request(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: thisYear, scope: { all: true }, mode: 'DRAFT' } }));
    expect(running.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.period' });
    expect(running.message).toContain(`${thisYear}-12-31`);
    // A simulation may look at the year still running; it can never be published.
    const simulated = await client.request<any>(START, { input: { ruleSetId: 'linjiang', version: '2025.1', period: thisYear, scope: { all: true }, mode: 'SIMULATION' } });
    expect((await waitForRun(simulated.startRatingRun.id)).status).toBe('DRAFTED');
  });

  it('drafts a period only under the rule version in force at its end; a simulation may try another', async () => {
    // 2025.2 is in force from 2027: 2025 is rated under 2025.1.
    const refused = await graphqlError(server.client(officer).request(START, { input: { ruleSetId: 'linjiang', version: '2025.2', period: '2025', scope: { all: true }, mode: 'DRAFT' } }));
    expect(refused.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.version', expected: '2025.1' });
    const runs = await sql<{ n: string }>`select count(*) as n from rating_runs where rule_version = '2025.2' and mode = 'DRAFT'`.execute(server.database.db);
    expect(Number(runs.rows[0]!.n)).toBe(0);
  });
});

describe('simulating a stricter rule version', () => {
  it('gives the transition matrix, score shift and the enterprises that move', async () => {
    simulation = await startRun('2025.2', 'SIMULATION');
    expect(simulation.status).toBe('DRAFTED');
    const result = await server.client(officer).request<any>(
      gql`query($a: ID!, $b: ID!) {
        compareRatingRuns(a: $a, b: $b) {
          transitions { from to count }
          scoreShift { compared mean raised lowered unchanged }
          movers(first: 5) { edges { node { creditCode fromLevel toLevel fromScore toScore } } pageInfo { hasNextPage } }
        }
      }`,
      { a: draft.id, b: simulation.id },
    );
    const comparison = result.compareRatingRuns;
    const total = comparison.transitions.reduce((sum: number, t: any) => sum + t.count, 0);
    expect(total).toBe(population);
    // Same scores, stricter thresholds: scores do not move, levels only get worse.
    expect(comparison.scoreShift).toMatchObject({ compared: population, mean: 0, raised: 0, lowered: 0, unchanged: population });
    const greenToBlue = comparison.transitions.find((t: any) => t.from === 'GREEN' && t.to === 'BLUE');
    expect(greenToBlue?.count).toBeGreaterThan(0);
    for (const edge of comparison.movers.edges) {
      expect(edge.node.fromScore).toBe(edge.node.toScore);
      expect(['GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK'].indexOf(edge.node.toLevel)).toBeGreaterThan(['GREEN', 'BLUE', 'YELLOW', 'RED', 'BLACK'].indexOf(edge.node.fromLevel));
    }
  });

  it('can never go to publicity', async () => {
    const error = await graphqlError(server.client(admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id: simulation.id }));
    expect(error.extensions.code).toBe('CONFLICT');
  });
});

describe('publicity, objection, publication', () => {
  let objector: string;
  let contestedViolation: string;
  let contestedScore: number;
  let publishedAt: Date;

  it('only a bureau admin opens publicity; then the draft levels are public', async () => {
    const BEGIN = gql`mutation($id: ID!) { beginPublicity(runId: $id) { status publicityEndsAt } }`;
    expect((await graphqlError(server.client(officer).request(BEGIN, { id: draft.id }))).extensions.code).toBe('FORBIDDEN');
    const begun = await server.client(admin).request<any>(BEGIN, { id: draft.id });
    expect(begun.beginPublicity.status).toBe('PUBLICITY');
    const publicView = await server.client().request<any>(gql`query($id: ID!) { ratingRun(id: $id) { status ratings(first: 3) { edges { node { creditCode level score } } } } }`, { id: draft.id });
    expect(publicView.ratingRun.ratings.edges).toHaveLength(3);
    const detail = await graphqlError(server.client().request(gql`query($id: ID!) { ratingRun(id: $id) { ratings(first: 1) { edges { node { rating { score } } } } } }`, { id: draft.id }));
    expect(detail.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('an enterprise objects; publication waits for the decision', async () => {
    const { db } = server.database;
    const penalised = await sql<{ credit_code: string; id: number }>`
      select trim(credit_code) as credit_code, min(id) as id from violations
      where decided_on between '2025-01-01' and '2025-12-31' and violation_type = 'NOISE'
      group by credit_code order by credit_code limit 1`.execute(db);
    expect(penalised.rows.length).toBe(1);
    objector = penalised.rows[0]!.credit_code;
    contestedViolation = `violation:${penalised.rows[0]!.id}`;
    const own = await server.client({ role: 'enterprise', creditCode: objector }).request<any>(
      gql`query($c: String!, $id: ID!) { ratingRun(id: $id) { ratings(first: 1, after: null) { edges { node { creditCode } } } } enterprise(creditCode: $c) { name } }`,
      { c: objector, id: draft.id },
    );
    expect(own.enterprise.name).toBeTruthy();
    const FILE = gql`mutation($input: FileObjectionInput!) { fileObjection(input: $input) { id status creditCode } }`;
    const input = { runId: draft.id, creditCode: objector, grounds: '噪声处罚已被行政复议撤销', evidenceRefs: [contestedViolation] };
    const other = await graphqlError(server.client({ role: 'enterprise', creditCode: '91310110666007217T' }).request(FILE, { input }));
    expect(other.extensions.code).toBe('FORBIDDEN');
    // Only its own records can be disputed: not another enterprise's, not an id that names nothing.
    const foreign = (await sql<{ id: number }>`select min(id) as id from violations where credit_code <> ${objector}`.execute(db)).rows[0]!.id;
    for (const [ref, index] of [[`violation:${foreign}`, 1], ['violation:999999999', 1], ['constructor:1', 1]] as const) {
      const refused = await graphqlError(server.client({ role: 'enterprise', creditCode: objector }).request(FILE, { input: { ...input, evidenceRefs: [contestedViolation, ref] } }));
      expect(refused.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: `input.evidenceRefs[${index}]` });
    }
    const filed = await server.client({ role: 'enterprise', creditCode: objector }).request<any>(FILE, { input });
    expect(filed.fileObjection).toMatchObject({ status: 'OPEN', creditCode: objector });
    const again = await graphqlError(server.client({ role: 'enterprise', creditCode: objector }).request(FILE, { input }));
    expect(again.extensions.code).toBe('CONFLICT');

    const PUBLISH = gql`mutation($id: ID!) { publishRatingRun(runId: $id) { status } }`;
    const tooEarly = await graphqlError(server.client(admin).request(PUBLISH, { id: draft.id }));
    expect(tooEarly.extensions.code).toBe('CONFLICT');
    expect(tooEarly.extensions.publicityEndsAt).toBeTruthy();
    server.clock.advance(11 * 86_400_000);
    const blocked = await graphqlError(server.client(admin).request(PUBLISH, { id: draft.id }));
    expect(blocked.extensions).toMatchObject({ code: 'CONFLICT', openObjections: 1 });
    // The bureau finds what it has to decide; the enterprise follows its own objection, no one else's.
    const OPEN = gql`query($id: ID!) { ratingRun(id: $id) { objections(openOnly: true) { edges { node { id creditCode status grounds evidenceRefs } } } } }`;
    const open = await server.client(admin).request<any>(OPEN, { id: draft.id });
    expect(open.ratingRun.objections.edges.map((e: any) => e.node)).toEqual([
      { id: filed.fileObjection.id, creditCode: objector, status: 'OPEN', grounds: input.grounds, evidenceRefs: [contestedViolation] },
    ]);
    expect((await graphqlError(server.client({ role: 'enterprise', creditCode: objector }).request(OPEN, { id: draft.id }))).extensions.code).toBe('FORBIDDEN');
    const MINE = gql`query($c: String!) { enterprise(creditCode: $c) { objections { edges { node { id status decisionReason } } } } }`;
    const mine = await server.client({ role: 'enterprise', creditCode: objector }).request<any>(MINE, { c: objector });
    expect(mine.enterprise.objections.edges.map((e: any) => e.node)).toEqual([{ id: filed.fileObjection.id, status: 'OPEN', decisionReason: null }]);
    expect((await graphqlError(server.client({ role: 'enterprise', creditCode: '91310110666007217T' }).request(MINE, { c: objector }))).extensions.code).toBe('FORBIDDEN');

    const before = await server.client(officer).request<any>(
      gql`query($c: String!) { ratingPreview(creditCode: $c, ruleSetId: "linjiang", version: "2025.1", period: "2025") { score evidence } }`,
      { c: objector },
    );
    contestedScore = before.ratingPreview.score;
    expect(before.ratingPreview.evidence).toContain(contestedViolation);

    // The officer corrects the evidence, then accepts: the enterprise is re-rated inside the run.
    await server.client(officer).request(gql`mutation($input: WithdrawEvidenceInput!) { withdrawEvidence(input: $input) { created } }`, {
      input: { id: contestedViolation, reason: '行政复议撤销', source: 'review', sourceId: `RV-${objector}` },
    });
    const decided = await server.client(officer).request<any>(
      gql`mutation($input: DecideObjectionInput!) { decideObjection(input: $input) { status reratingId } }`,
      { input: { objectionId: filed.fileObjection.id, accept: true, reason: '处罚已撤销，重新评价' } },
    );
    expect(decided.decideObjection.status).toBe('ACCEPTED');
    expect(decided.decideObjection.reratingId).toMatch(/^rating:\d+$/);
    const answered = await server.client({ role: 'enterprise', creditCode: objector }).request<any>(MINE, { c: objector });
    expect(answered.enterprise.objections.edges[0].node).toEqual({ id: filed.fileObjection.id, status: 'ACCEPTED', decisionReason: '处罚已撤销，重新评价' });
    expect((await server.client(admin).request<any>(OPEN, { id: draft.id })).ratingRun.objections.edges).toEqual([]);
    const one = await server.client(officer).request<any>(gql`query($id: ID!) { objection(id: $id) { status reratingId } }`, { id: filed.fileObjection.id });
    expect(one.objection).toEqual({ status: 'ACCEPTED', reratingId: decided.decideObjection.reratingId });
    // Read as of the database's clock, not the legal clock eleven days ahead of it.
    const rerating = Number(decided.decideObjection.reratingId.replace('rating:', ''));
    const known = await sql<{ ahead: boolean }>`select evidence_known_at > clock_timestamp() as ahead from ratings where id = ${rerating}`.execute(db);
    expect(known.rows).toEqual([{ ahead: false }]);

    const published = await server.client(admin).request<any>(PUBLISH, { id: draft.id });
    expect(published.publishRatingRun.status).toBe('PUBLISHED');
    publishedAt = server.clock.now();
  });

  it('the published rating of the objector is the re-rating, without the withdrawn penalty', async () => {
    const result = await server.client({ role: 'enterprise', creditCode: objector }).request<any>(
      gql`query($c: String!) { enterprise(creditCode: $c) { rating { level score cause effectiveTo rating { evidence score ruleSet { id version contentHash } } } } }`,
      { c: objector },
    );
    const rating = result.enterprise.rating;
    expect(rating.cause).toBe('PUBLICATION');
    expect(rating.effectiveTo).toBeNull();
    expect(rating.rating.evidence).not.toContain(contestedViolation);
    expect(rating.score).toBeGreaterThan(contestedScore);
    expect(rating.rating.ruleSet).toMatchObject({ id: 'linjiang', version: '2025.1' });
    expect(publishedAt).toBeInstanceOf(Date);
  });

  it('a page of enterprises gives each its own rating in force (one query for the page), now and as of an instant', async () => {
    const LIST = gql`query($at: DateTime) { enterprises(first: 40) { edges { node { creditCode rating { level score } then: rating(asOf: $at) { level } } } } }`;
    const beforePublication = new Date(publishedAt.getTime() - 60_000).toISOString();
    const page = (await server.client(officer).request<any>(LIST, { at: beforePublication })).enterprises.edges.map((e: any) => e.node);
    expect(page).toHaveLength(40);
    for (const node of page.slice(0, 8)) {
      const one = await server.client(officer).request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { rating { level score } } }`, { c: node.creditCode });
      expect(node.rating, node.creditCode).toEqual(one.enterprise.rating);
      expect(node.then).toBeNull(); // nothing was published before the publication
    }
    expect(page.filter((n: any) => n.rating !== null).length).toBeGreaterThan(30);
  });

  it('a falsified-data violation moves the enterprise to BLACK at once; the day before still answers the old level', async () => {
    const before = server.clock.now();
    server.clock.advance(86_400_000);
    const today = server.clock.now().toISOString().slice(0, 10);
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) {
        recordViolation(input: $input) {
          created
          record { id }
          dynamicAdjustment { level cause effectiveFrom triggerEvidence rating { vetoes { id evidence } } }
        }
      }`,
      {
        input: {
          creditCode: objector, source: 'penalty-register', sourceId: `FALSIFIED-${objector}`, decisionNumber: '临环罚〔2026〕99号',
          decidedOn: today, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《中华人民共和国大气污染防治法》第一百零八条',
          fineCny: 200000, measures: ['CORRECTION_ORDER', 'PRODUCTION_SUSPENSION'],
        },
      },
    );
    const adjustment = recorded.recordViolation.dynamicAdjustment;
    expect(adjustment).toMatchObject({ level: 'BLACK', cause: 'DYNAMIC_ADJUSTMENT', triggerEvidence: recorded.recordViolation.record.id });
    expect(adjustment.rating.vetoes.some((v: any) => v.evidence.includes(recorded.recordViolation.record.id))).toBe(true);

    const RATING_AT = gql`query($c: String!, $at: DateTime) { enterprise(creditCode: $c) { rating(asOf: $at) { level cause effectiveTo } } }`;
    const now = await server.client().request<any>(RATING_AT, { c: objector });
    expect(now.enterprise.rating).toMatchObject({ level: 'BLACK', cause: 'DYNAMIC_ADJUSTMENT', effectiveTo: null });
    const dayBefore = await server.client().request<any>(RATING_AT, { c: objector, at: before.toISOString() });
    expect(dayBefore.enterprise.rating.cause).toBe('PUBLICATION');
    expect(dayBefore.enterprise.rating.level).not.toBe('BLACK');
    expect(dayBefore.enterprise.rating.effectiveTo).not.toBeNull();
    const beforePublication = await server.client().request<any>(RATING_AT, { c: objector, at: new Date(publishedAt.getTime() - 60_000).toISOString() });
    expect(beforePublication.enterprise.rating).toBeNull();

    const replay = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { created dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: objector, source: 'penalty-register', sourceId: `FALSIFIED-${objector}`, decisionNumber: '临环罚〔2026〕99号',
          decidedOn: today, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《中华人民共和国大气污染防治法》第一百零八条',
          fineCny: 200000, measures: ['CORRECTION_ORDER', 'PRODUCTION_SUSPENSION'],
        },
      },
    );
    expect(replay.recordViolation).toEqual({ created: false, dynamicAdjustment: { level: 'BLACK' } });
    const history = await server.client().request<any>(gql`query($c: String!) { enterprise(creditCode: $c) { ratings(first: 10) { edges { node { level cause } } } } }`, { c: objector });
    expect(history.enterprise.ratings.edges.map((e: any) => e.node.cause)).toEqual(['DYNAMIC_ADJUSTMENT', 'PUBLICATION']);
  });

  it('a violation in an indicator the rule file marks dynamic (a general incident) re-rates at once too', async () => {
    const other = (await sql<{ code: string }>`select trim(credit_code) as code from enterprises where credit_code <> ${objector} order by credit_code desc limit 1`.execute(server.database.db)).rows[0]!.code;
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { dynamicAdjustment { cause rating { vetoes { id } categories { indicators { id changes { evidence } } } } } record { id } } }`,
      {
        input: {
          creditCode: other, source: 'incident-register', sourceId: `INC-${other}`, decisionNumber: '临环罚〔2026〕101号',
          decidedOn: server.clock.now().toISOString().slice(0, 10), violationType: 'ENVIRONMENTAL_INCIDENT', incidentSeverity: 'GENERAL',
          legalBasis: '《突发环境事件应急管理办法》', fineCny: 20000,
        },
      },
    );
    const adjustment = recorded.recordViolation.dynamicAdjustment;
    expect(adjustment.cause).toBe('DYNAMIC_ADJUSTMENT');
    expect(adjustment.rating.vetoes).toEqual([]);
    const incident = adjustment.rating.categories.flatMap((c: any) => c.indicators).find((i: any) => i.id === 'E2_GENERAL_INCIDENT');
    expect(incident.changes.flatMap((c: any) => c.evidence)).toContain(recorded.recordViolation.record.id);
  });

  it('an ordinary violation does not re-rate at once', async () => {
    const other = (await sql<{ code: string }>`select trim(credit_code) as code from enterprises where credit_code <> ${objector} order by credit_code limit 1`.execute(server.database.db)).rows[0]!.code;
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { created dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: other, source: 'penalty-register', sourceId: `NOISE-${other}`, decisionNumber: '临环罚〔2026〕100号',
          decidedOn: server.clock.now().toISOString().slice(0, 10), violationType: 'NOISE', legalBasis: '《噪声污染防治法》', fineCny: 5000,
        },
      },
    );
    expect(recorded.recordViolation).toEqual({ created: true, dynamicAdjustment: null });
  });

  it('the database refuses to edit a stored rating', async () => {
    await expectHistoryRefused(server.database, `update ratings set level = 'GREEN'`);
    await expectHistoryRefused(server.database, 'delete from rating_effects');
  });
});
