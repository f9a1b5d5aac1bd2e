import { gql } from 'graphql-request';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MintOptions } from '../../src/auth/jwt.ts';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { watchCodes } from '../../src/lookups/watch-store.ts';
import { lifecycleRulesDir } from '../support/rules.ts';
import { expectHistoryRefused } from '../support/db.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
const officer: MintOptions = { role: 'bureau_officer', org: 'linjiang-eeb', subject: 'officer-1' };
const admin: MintOptions = { role: 'bureau_admin', org: 'linjiang-eeb', subject: 'admin-1' };
const bank: MintOptions = { role: 'bank', org: 'bank-a', subject: 'loan-officer-1' };
const otherBank: MintOptions = { role: 'bank', org: 'bank-b', subject: 'loan-officer-9' };
const finance: MintOptions = { role: 'finance', org: 'finance-bureau', subject: 'fin-1' };
const insurer: MintOptions = { role: 'insurer', org: 'insurer-a', subject: 'ins-1' };

const CHECK = gql`
  query Check($code: String!, $purpose: CheckPurpose!, $asOf: DateTime) {
    creditCheck(creditCode: $code, purpose: $purpose, asOf: $asOf) {
      creditCode enterpriseName rated level score blacklisted leader verdict premiumMultiplier
      reasons { code message } ruleSetId ruleSetVersion period asOf purpose valid registered
    }
  }
`;
const CHECKS = gql`
  query Checks($codes: [String!]!, $purpose: CheckPurpose!, $asOf: DateTime) {
    creditChecks(creditCodes: $codes, purpose: $purpose, asOf: $asOf) {
      inputIndex input creditCode valid error { code message field } rated level verdict blacklisted reasons { code }
    }
  }
`;

let codes: string[];
let policy: Map<string, { verdict: string; premiumMultiplier: number | null; reasonCode: string }>;
let publishedAt: Date;

const policyFor = (purpose: string, situation: string) => policy.get(`${purpose}/${situation}`)!;

beforeAll(async () => {
  server = await startTestServer({ RULES_DIR: lifecycleRulesDir(10), LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '100000' });
  await seedDemoCity(server.database.db, { seed: 220681 });
  // The enterprises a 2025 run rates: registered and open at some point in 2025.
  codes = (
    await sql<{ code: string }>`
      select trim(credit_code) as code from enterprise_current
      where (closed_on is null or closed_on >= '2025-01-01') and (registered_on is null or registered_on <= '2025-12-31')
      order by credit_code`.execute(server.database.db)
  ).rows.map((r) => r.code);
  const started = await server.client(officer).request<any>(gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id } }`, {
    input: { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { all: true }, mode: 'DRAFT' },
  });
  const runId = started.startRatingRun.id as string;
  await server.service.tracker.completion(Number(runId.replace('run:', '')));
  await server.client(admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id: runId });
  server.clock.advance(11 * 86_400_000);
  await server.client(admin).request(gql`mutation($id: ID!) { publishRatingRun(runId: $id) { status } }`, { id: runId });
  publishedAt = server.clock.now();
  server.clock.advance(60_000);
  const rules = await server.client().request<any>(gql`{ ruleSet(id: "linjiang", version: "2025.1") { lookupPolicy { purpose situation verdict premiumMultiplier reasonCode } } }`);
  policy = new Map(rules.ruleSet.lookupPolicy.map((p: any) => [`${p.purpose}/${p.situation}`, p]));
}, 240_000);

afterAll(() => server?.stop());

describe('who may ask what', () => {
  const cases: [string, MintOptions, string][] = [
    ['bank', bank, 'LOAN'],
    ['finance', finance, 'FISCAL_FUND'],
    ['insurer', insurer, 'INSURANCE'],
  ];
  it.each(cases)('%s gets its own purpose answered from the rule file and is refused the others', async (_name, who, allowed) => {
    const code = codes[0]!;
    for (const purpose of ['LOAN', 'FISCAL_FUND', 'INSURANCE']) {
      if (purpose === allowed) {
        const { creditCheck } = await server.client(who).request<any>(CHECK, { code, purpose });
        expect(creditCheck).toMatchObject({ creditCode: code, rated: true, purpose, ruleSetId: 'linjiang', ruleSetVersion: '2025.1', period: '2025', valid: true, registered: true });
        expect(creditCheck.enterpriseName).toBeTruthy();
        const expected = policyFor(purpose, creditCheck.blacklisted ? 'BLACKLISTED' : creditCheck.level);
        expect(creditCheck.verdict).toBe(expected.verdict);
        expect(creditCheck.reasons.map((r: any) => r.code)).toContain(expected.reasonCode);
        expect(creditCheck.premiumMultiplier).toBe(purpose === 'INSURANCE' ? expected.premiumMultiplier : null);
      } else {
        const error = await graphqlError(server.client(who).request(CHECK, { code, purpose }));
        expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'purpose' });
        const batch = await graphqlError(server.client(who).request(CHECKS, { codes: [code], purpose }));
        expect(batch.extensions.code).toBe('FORBIDDEN');
      }
    }
  });

  it('bureau roles may ask about any purpose; enterprises may not ask; anonymous callers must authenticate', async () => {
    for (const purpose of ['LOAN', 'FISCAL_FUND', 'INSURANCE']) {
      const { creditCheck } = await server.client(officer).request<any>(CHECK, { code: codes[1], purpose });
      expect(creditCheck.purpose).toBe(purpose);
    }
    const enterprise = await graphqlError(server.client({ role: 'enterprise', creditCode: codes[1]! }).request(CHECK, { code: codes[1], purpose: 'LOAN' }));
    expect(enterprise.extensions.code).toBe('FORBIDDEN');
    const anonymous = await graphqlError(server.client().request(CHECK, { code: codes[1], purpose: 'LOAN' }));
    expect(anonymous.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('bad and unknown codes', () => {
  it('a malformed code in creditCheck is INVALID_CREDIT_CODE naming the code', async () => {
    const error = await graphqlError(server.client(bank).request(CHECK, { code: '91220681MA1000101X', purpose: 'LOAN' }));
    expect(error.extensions).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'creditCode', value: '91220681MA1000101X' });
    expect(error.message).toContain('91220681MA1000101X');
  });

  it('a valid code nobody rated gets rated: false, NOT_RATED and the default rule set’s NOT_RATED verdict', async () => {
    const unknown = withCheckCharacter('92990000000000001');
    const { creditCheck } = await server.client(insurer).request<any>(CHECK, { code: unknown, purpose: 'INSURANCE' });
    const expected = policyFor('INSURANCE', 'NOT_RATED');
    expect(creditCheck).toMatchObject({ rated: false, registered: false, level: null, enterpriseName: null, verdict: expected.verdict, premiumMultiplier: expected.premiumMultiplier, ruleSetId: 'linjiang', ruleSetVersion: '2025.1', period: null });
    expect(creditCheck.reasons.map((r: any) => r.code)).toEqual(['NOT_RATED', expected.reasonCode]);
  });

  it('refuses a future asOf', async () => {
    const error = await graphqlError(server.client(bank).request(CHECK, { code: codes[0], purpose: 'LOAN', asOf: new Date(server.clock.now().getTime() + 86_400_000).toISOString() }));
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf' });
  });

  it('refuses an asOf before the default rule set is in force, saying from when answers are possible', async () => {
    const asOf = '2020-01-01T00:00:00Z';
    const single = await graphqlError(server.client(bank).request(CHECK, { code: withCheckCharacter('92990000000000001'), purpose: 'LOAN', asOf }));
    const batch = await graphqlError(server.client(bank).request(CHECKS, { codes: [codes[0], withCheckCharacter('92990000000000001'), 'nope'], purpose: 'LOAN', asOf }));
    for (const error of [single, batch]) {
      expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf', expected: 'an instant from 2025-01-01T00:00:00+08:00' });
      expect(error.extensions.http).toBeUndefined(); // a client error, not SERVICE_UNAVAILABLE (503)
      expect(error.message).toContain('2020-01-01');
      expect(error.message).toContain('answers are possible from 2025-01-01T00:00:00+08:00');
    }
    // The first instant answers: midnight in Beijing, 16:00 UTC the day before.
    const { creditCheck } = await server.client(bank).request<any>(CHECK, { code: withCheckCharacter('92990000000000001'), purpose: 'LOAN', asOf: '2024-12-31T16:00:00Z' });
    expect(creditCheck).toMatchObject({ rated: false, ruleSetVersion: '2025.1' });
    // and the instant before it (23:59:59 on 31 December in Beijing) does not.
    const before = await graphqlError(server.client(bank).request(CHECK, { code: withCheckCharacter('92990000000000001'), purpose: 'LOAN', asOf: '2024-12-31T15:59:59Z' }));
    expect(before.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'asOf' });
    expect(before.message).toContain('2024-12-31 (China day)');
  });
});

describe('a batch of 10,000', () => {
  it('answers every code in input order, flagging the malformed ones without failing the batch', async () => {
    const malformed = new Map<number, string>([
      [3, 'not-a-code'],
      [4_999, '91220681MA1000101X'],
      [7_777, ''],
      [9_999, '91220681ma10001O1'],
    ]);
    const batch: string[] = [];
    for (let i = 0; batch.length < 10_000; i += 1) {
      const index = batch.length;
      if (malformed.has(index)) batch.push(malformed.get(index)!);
      else if (index < codes.length * 2 && index % 2 === 0) batch.push(codes[(index / 2) % codes.length]!);
      else batch.push(withCheckCharacter(`9299${String(i).padStart(13, '0')}`));
    }
    const before = Date.now();
    const { creditChecks } = await server.client(bank).request<any>(CHECKS, { codes: batch, purpose: 'LOAN' });
    const elapsed = Date.now() - before;
    expect(creditChecks).toHaveLength(10_000);
    creditChecks.forEach((c: any, i: number) => {
      expect(c.inputIndex).toBe(i);
      expect(c.input).toBe(batch[i]);
    });
    for (const [index, input] of malformed) {
      const entry = creditChecks[index];
      expect(entry).toMatchObject({ valid: false, creditCode: input, rated: false, verdict: 'PROHIBITED', error: { code: 'INVALID_CREDIT_CODE', field: `creditCodes[${index}]` } });
      expect(entry.error.message).toContain(JSON.stringify(input));
      expect(entry.reasons.map((r: any) => r.code)).toEqual(['INVALID_CREDIT_CODE']);
    }
    const valid = creditChecks.filter((c: any) => c.valid);
    expect(valid).toHaveLength(10_000 - malformed.size);
    expect(valid.every((c: any) => c.error === null)).toBe(true);
    const rated = valid.filter((c: any) => c.rated);
    expect(rated.length).toBe(codes.length);
    for (const c of rated.slice(0, 50)) expect(c.verdict).toBe(policyFor('LOAN', c.blacklisted ? 'BLACKLISTED' : c.level).verdict);
    expect(valid.filter((c: any) => !c.rated).every((c: any) => c.verdict === policyFor('LOAN', 'NOT_RATED').verdict && c.reasons[0].code === 'NOT_RATED')).toBe(true);
    const logged = await sql<{ n: string }>`select count(*) as n from credit_inquiries where institution_org = 'bank-a' and batch`.execute(server.database.db);
    expect(Number(logged.rows[0]!.n)).toBe(10_000 - malformed.size);
    expect(elapsed).toBeLessThan(30_000);
  }, 60_000);

  it('refuses more than MAX_BATCH_CODES up front', async () => {
    const tooMany = Array.from({ length: 10_001 }, (_, i) => withCheckCharacter(`9299${String(i).padStart(13, '0')}`));
    const error = await graphqlError(server.client(bank).request(CHECKS, { codes: tooMany, purpose: 'LOAN' }));
    expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'creditCodes', max: 10_000, received: 10_001 });
  });
});

describe('as-of, inquiries and monitoring around a blacklisting', () => {
  let subject: string;
  let beforeListing: Date;
  let cursor: string | null = null;
  const FEED = gql`
    query Feed($after: String, $first: Int) {
      watchChanges(after: $after, first: $first) {
        edges { cursor node { creditCode source changes before { level verdict blacklisted } after { level verdict blacklisted } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  `;

  it('a bank watches a borrower; the feed has nothing yet', async () => {
    subject = codes.find((c) => c !== codes[0] && c !== codes[1])!;
    const watched = await server.client(bank).request<any>(gql`mutation($c: [String!]!) { watch(creditCodes: $c) { changed watching } }`, { c: [subject, codes[5]] });
    expect(watched.watch).toEqual({ changed: 2, watching: 2 });
    const again = await server.client(bank).request<any>(gql`mutation($c: [String!]!) { watch(creditCodes: $c) { changed watching } }`, { c: [subject] });
    expect(again.watch).toEqual({ changed: 0, watching: 2 });
    const bad = await graphqlError(server.client(bank).request(gql`mutation($c: [String!]!) { watch(creditCodes: $c) { changed } }`, { c: [subject, 'nope'] }));
    expect(bad.extensions).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'creditCodes[1]' });
    const feed = await server.client(bank).request<any>(FEED, {});
    expect(feed.watchChanges.edges).toEqual([]);
  });

  it('a falsified-data violation blacklists it: asOf before says not blacklisted, after says blacklisted', async () => {
    beforeListing = server.clock.now();
    server.clock.advance(86_400_000);
    const today = server.clock.now().toISOString().slice(0, 10);
    const recorded = await server.client(officer).request<any>(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { created dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: subject, source: 'penalty-register', sourceId: `FALSIFIED-${subject}`, decisionNumber: '临环罚〔2026〕7号',
          decidedOn: today, violationType: 'FALSIFIED_MONITORING_DATA', legalBasis: '《中华人民共和国大气污染防治法》第一百零八条',
          fineCny: 200000, measures: ['CORRECTION_ORDER'],
        },
      },
    );
    expect(recorded.recordViolation.dynamicAdjustment.level).toBe('BLACK');
    server.clock.advance(60_000);

    const then = (await server.client(bank).request<any>(CHECK, { code: subject, purpose: 'LOAN', asOf: beforeListing.toISOString() })).creditCheck;
    expect(then.blacklisted).toBe(false);
    expect(then.level).not.toBe('BLACK');
    expect(then.verdict).toBe(policyFor('LOAN', then.level).verdict);
    const now = (await server.client(bank).request<any>(CHECK, { code: subject, purpose: 'LOAN' })).creditCheck;
    expect(now.level).toBe('BLACK');
    expect(now.blacklisted).toBe(true);
    expect(now.verdict).toBe(policyFor('LOAN', 'BLACKLISTED').verdict);
    expect(now.reasons.map((r: any) => r.code)).toContain(policyFor('LOAN', 'BLACKLISTED').reasonCode);
    // Before the publication nothing was rated.
    const beforePublication = (await server.client(bank).request<any>(CHECK, { code: subject, purpose: 'LOAN', asOf: new Date(publishedAt.getTime() - 60_000).toISOString() })).creditCheck;
    expect(beforePublication).toMatchObject({ rated: false, level: null, blacklisted: false });
  });

  it('pages the blacklisted enterprise’s rating history newest first, refusing a cursor that names none of its effects', async () => {
    const RATINGS = gql`
      query($c: String!, $after: String) {
        enterprise(creditCode: $c) { ratings(first: 1, after: $after) { edges { cursor node { cause level } } pageInfo { hasNextPage endCursor } } }
      }
    `;
    const page = async (code: string, after: string | null) => (await server.client().request<any>(RATINGS, { c: code, after })).enterprise.ratings;
    const first = await page(subject, null);
    expect(first.edges.map((e: any) => e.node)).toEqual([{ cause: 'DYNAMIC_ADJUSTMENT', level: 'BLACK' }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(subject, first.pageInfo.endCursor);
    expect(second.edges.map((e: any) => e.node.cause)).toEqual(['PUBLICATION']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect((await page(subject, second.pageInfo.endCursor)).edges).toEqual([]);

    const cursorOf = (key: string) => Buffer.from(`c1:${key}`, 'utf8').toString('base64url');
    const otherEffect = (await page(codes[0]!, null)).edges[0].cursor;
    for (const after of [cursorOf('999999'), otherEffect]) {
      const error = await graphqlError(page(subject, after));
      expect(error.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after', expected: 'an endCursor from a previous page' });
    }
  });

  it('the watched code’s change appears once in the feed, in order, across pages', async () => {
    const seen: any[] = [];
    let after: string | null = null;
    // The feed hands out a change only once every transaction older than it has ended; the
    // horizon is cluster-wide, so other test files' open transactions can delay (never drop) it.
    const complete = () => seen.some((n) => n.source === 'RATING_EFFECT') && seen.some((n) => n.source === 'BLACKLIST_EVENT');
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const result: any = await server.client(bank).request<any>(FEED, { after, first: 1 });
      seen.push(...result.watchChanges.edges.map((e: any) => e.node));
      after = result.watchChanges.pageInfo.endCursor ?? after;
      if (complete() && !result.watchChanges.pageInfo.hasNextPage) break;
      if (result.watchChanges.edges.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    cursor = after;
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.every((n) => n.creditCode === subject)).toBe(true);
    const rating = seen.filter((n) => n.source === 'RATING_EFFECT');
    expect(rating).toHaveLength(1);
    expect(rating[0]).toMatchObject({ after: { level: 'BLACK' } });
    expect(rating[0].changes).toEqual(expect.arrayContaining(['RATING', 'LEVEL']));
    expect(rating[0].before.level).not.toBe('BLACK');
    const listing = seen.filter((n) => n.source === 'BLACKLIST_EVENT');
    expect(listing).toHaveLength(1);
    // Whatever order they came in, by the last change the code is blacklisted.
    expect(seen.at(-1).after).toMatchObject({ blacklisted: true, verdict: policyFor('LOAN', 'BLACKLISTED').verdict });
    expect(seen.some((n) => n.changes.includes('BLACKLIST'))).toBe(true);
    // Nothing new after the last cursor; the cursor stays put.
    const next = await server.client(bank).request<any>(FEED, { after: cursor });
    expect(next.watchChanges.edges).toEqual([]);
    expect(next.watchChanges.pageInfo.endCursor).toBe(cursor);
    // Another bank, not watching, sees nothing.
    expect((await server.client(otherBank).request<any>(FEED, {})).watchChanges.edges).toEqual([]);
    // What the feed told the bank is in the borrower's own inquiry log, at each change's instant.
    const own = await server.client({ role: 'enterprise', creditCode: subject }).request<any>(
      gql`query { myInquiries(first: 50) { edges { node { institution purpose batch asOf verdict } } } }`,
    );
    const delivered = own.myInquiries.edges.map((e: any) => e.node).filter((n: any) => n.institution === bank.org && n.batch);
    expect(delivered.length).toBeGreaterThanOrEqual(1);
    expect(delivered[0]).toMatchObject({ purpose: 'LOAN', verdict: policyFor('LOAN', 'BLACKLISTED').verdict });
  });

  it('the enterprise sees the bank’s inquiry; inquiries are the bank’s own to search; the bureau searches all', async () => {
    const mine = await server.client({ role: 'enterprise', creditCode: subject }).request<any>(
      gql`{ myInquiries(first: 50) { edges { node { institution institutionRole purpose creditCode verdict asOf askedAt batch } } } }`,
    );
    const nodes = mine.myInquiries.edges.map((e: any) => e.node);
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    expect(nodes.every((n: any) => n.creditCode === subject)).toBe(true);
    // The newest are what the watch feed handed out (batch); before them, the bank's own creditCheck.
    expect(nodes.find((n: any) => !n.batch)).toMatchObject({ institution: 'bank-a', institutionRole: 'bank', purpose: 'LOAN', batch: false });
    const hidden = await graphqlError(
      server.client({ role: 'enterprise', creditCode: subject }).request(gql`{ myInquiries(first: 1) { edges { node { subject } } } }`),
    );
    expect(hidden.extensions.code).toBe('FORBIDDEN');

    await server.client(otherBank).request(CHECK, { code: subject, purpose: 'LOAN' });
    const own = await server.client(otherBank).request<any>(gql`{ creditInquiries(first: 50) { edges { node { institution creditCode } } } }`);
    expect(own.creditInquiries.edges.map((e: any) => e.node.institution)).toEqual(['bank-b']);
    const spying = await graphqlError(server.client(otherBank).request(gql`{ creditInquiries(institution: "bank-a") { edges { node { id } } } }`));
    expect(spying.extensions.code).toBe('FORBIDDEN');
    const bureau = await server.client(officer).request<any>(
      gql`query($c: String!) { creditInquiries(creditCode: $c, first: 10) { edges { node { institution subject } } pageInfo { hasNextPage } } }`,
      { c: subject },
    );
    const institutions = new Set(bureau.creditInquiries.edges.map((e: any) => e.node.institution));
    expect(institutions).toEqual(new Set(['bank-a', 'bank-b']));
    expect(bureau.creditInquiries.edges[0].node.subject).toBe('loan-officer-9');
  });

  it('the inquiry log is history', async () => {
    await expectHistoryRefused(server.database, 'delete from credit_inquiries');
    await expectHistoryRefused(server.database, 'update credit_changes set credit_code = credit_code');
  });

  it('unwatching stops the feed', async () => {
    const result = await server.client(bank).request<any>(gql`mutation($c: [String!]!) { unwatch(creditCodes: $c) { changed watching } }`, { c: [subject] });
    expect(result.unwatch).toEqual({ changed: 1, watching: 1 });
    const list = await server.client(bank).request<any>(gql`{ watchList { edges { node { creditCode } } } }`);
    expect(list.watchList.edges.map((e: any) => e.node.creditCode)).toEqual([codes[5]]);
  });
});

describe('an institution is its role and its org', () => {
  // A bank and an insurer of one financial group: the same org, two institutions.
  const groupBank: MintOptions = { role: 'bank', org: 'fin-group-1', subject: 'group-loan-officer' };
  const groupInsurer: MintOptions = { role: 'insurer', org: 'fin-group-1', subject: 'group-underwriter' };
  const WATCH = gql`mutation($c: [String!]!) { watch(creditCodes: $c) { changed watching } }`;
  const UNWATCH = gql`mutation($c: [String!]!) { unwatch(creditCodes: $c) { changed watching } }`;
  const LIST = gql`{ watchList { edges { node { creditCode } } } }`;
  const FEED = gql`{ watchChanges(first: 50) { edges { node { creditCode } } } }`;
  const INQUIRIES = gql`{ creditInquiries(first: 50) { edges { node { institution institutionRole purpose creditCode } } } }`;
  const listed = (answer: any) => answer.watchList.edges.map((e: any) => e.node.creditCode);

  it('keeps a bank’s watch list, feed and inquiries from an insurer carrying the same org', async () => {
    const watched = codes[8]!;
    expect((await server.client(groupBank).request<any>(WATCH, { c: [watched] })).watch).toEqual({ changed: 1, watching: 1 });
    await server.client(groupBank).request(CHECK, { code: watched, purpose: 'LOAN' });
    // A change to the watched code, so the bank's feed has something to hand out.
    const blacklisted = await server.client(admin).request<any>(gql`mutation($input: BlacklistDecisionInput!) { decideBlacklist(input: $input) { event } }`, {
      input: { creditCode: watched, action: 'LIST', causeCode: 'BUREAU_DECISION', cause: '拒不执行整改决定', minimumMonths: 0 },
    });
    expect(blacklisted.decideBlacklist.map((e: any) => e.event)).toContain('LISTED');
    // The feed hands a change out once no older transaction runs anywhere on the server (other test
    // files' included): wait until the bank sees it, so the insurer's empty feed below means something.
    const bankFeed = async () => (await server.client(groupBank).request<any>(FEED)).watchChanges.edges.map((e: any) => e.node.creditCode);
    for (let attempt = 0; attempt < 150 && !(await bankFeed()).includes(watched); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await bankFeed()).toContain(watched);

    const insurer = server.client(groupInsurer);
    expect(listed(await insurer.request<any>(LIST))).toEqual([]);
    expect((await insurer.request<any>(FEED)).watchChanges.edges).toEqual([]);
    expect((await insurer.request<any>(INQUIRIES)).creditInquiries.edges).toEqual([]);
    expect((await insurer.request<any>(UNWATCH, { c: [watched] })).unwatch).toEqual({ changed: 0, watching: 0 });
    // Its own list is its own: watching the same code leaves the bank's untouched.
    expect((await insurer.request<any>(WATCH, { c: [watched] })).watch).toEqual({ changed: 1, watching: 1 });
    expect((await insurer.request<any>(UNWATCH, { c: [watched] })).unwatch).toEqual({ changed: 1, watching: 0 });

    const bankSide = server.client(groupBank);
    expect(listed(await bankSide.request<any>(LIST))).toEqual([watched]);
    expect(await bankFeed()).toContain(watched);
    const inquiries = (await bankSide.request<any>(INQUIRIES)).creditInquiries.edges.map((e: any) => e.node);
    expect(inquiries.length).toBeGreaterThanOrEqual(1);
    expect(inquiries.every((n: any) => n.institution === 'fin-group-1' && n.institutionRole === 'bank' && n.purpose === 'LOAN')).toBe(true);
  });

  it('refuses an institution token without an org instead of reading the org named like its subject', async () => {
    const orgless = server.token({ role: 'bank', subject: 'bank-a' });
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${orgless}` },
      body: JSON.stringify({ query: '{ watchList { edges { node { creditCode } } } creditInquiries { edges { node { id } } } }' }),
    });
    const answer = (await response.json()) as any;
    expect(response.status).toBe(401);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('needs an org claim') });
  });
});

describe('a watch list has a total bound (MAX_WATCHED_CODES)', () => {
  let small: TestServer;
  const code = (i: number) => withCheckCharacter(`9122068100000${String(i).padStart(4, '0')}`);
  const WATCH = gql`mutation($c: [String!]!) { watch(creditCodes: $c) { changed watching } }`;
  beforeAll(async () => {
    small = await startTestServer({ MAX_WATCHED_CODES: '3', LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '0' });
  }, 120_000);
  afterAll(() => small?.stop());

  it('refuses a watch that would take the list past the bound, adding nothing; codes already watched do not count twice', async () => {
    const client = small.client(bank);
    expect((await client.request<any>(WATCH, { c: [code(1), code(2)] })).watch).toEqual({ changed: 2, watching: 2 });
    const refused = await graphqlError(client.request(WATCH, { c: [code(2), code(3), code(4)] }));
    expect(refused.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'creditCodes', max: 3, expected: expect.stringContaining('MAX_WATCHED_CODES') });
    const list = await client.request<any>(gql`{ watchList { edges { node { creditCode } } } }`);
    expect(list.watchList.edges.map((e: any) => e.node.creditCode)).toEqual([code(1), code(2)]);
    expect((await client.request<any>(WATCH, { c: [code(1), code(2), code(3)] })).watch).toEqual({ changed: 1, watching: 3 });
    // Another institution's list has its own bound.
    expect((await small.client(otherBank).request<any>(WATCH, { c: [code(4)] })).watch).toEqual({ changed: 1, watching: 1 });
    // With the bound lowered below the list, re-watching codes already on it adds nothing and is no error.
    expect(await watchCodes(small.database.db, { role: 'bank', org: bank.org! }, [code(1), code(2)], 'test', 2)).toBe(0);
    await expect(watchCodes(small.database.db, { role: 'bank', org: bank.org! }, [code(9)], 'test', 2)).rejects.toMatchObject({ extensions: { code: 'VALIDATION_FAILED' } });
  });

  it('counts concurrent calls together', async () => {
    const client = small.client(insurer);
    const results = await Promise.allSettled([code(5), code(6), code(7), code(8)].map((c) => client.request<any>(WATCH, { c: [c] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const list = await client.request<any>(gql`{ watchList { edges { node { creditCode } } } }`);
    expect(list.watchList.edges).toHaveLength(3);
  });
});
