/**
 * Real processes, real signals (issue 7, item 5): a rating run or an import killed mid-way leaves
 * nothing half-written; SIGTERM ends a running rating run as FAILED; a starting instance leaves a
 * run another live instance is executing alone. PostgreSQL only: two processes share the database.
 *
 * To kill "mid-way" deterministically, the owner installs a statement trigger that sleeps, so each
 * batch insert of a run (or the apply statement of an import) takes long enough to be caught.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GraphQLClient, gql } from 'graphql-request';
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevelopmentToken, type MintOptions } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { writeImportFiles } from '../../src/import/generate.ts';
import { startService } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase, countExistingDuring } from '../support/db.ts';
import { eventually, spawnService } from '../support/process.ts';
import { graphqlError, TEST_JWT_SECRET } from '../support/server.ts';

const run = promisify(execFile);
const BIN = new URL('../../src/cli/envcredit.mjs', import.meta.url).pathname;
const postgres = Boolean(process.env.DATABASE_URL);
const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false' });
const officer: MintOptions = { role: 'bureau_officer', org: 'linjiang-eeb' };
const admin: MintOptions = { role: 'bureau_admin', org: 'linjiang-eeb' };
const client = (url: string, who: MintOptions) => new GraphQLClient(url, { headers: { authorization: `Bearer ${mintDevelopmentToken(config, who)}` } });

const START = gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id status } }`;
const RUN = gql`query($id: ID!) { ratingRun(id: $id) { id status progress { done total } history { status actor detail } } }`;
const runInput = { ruleSetId: 'linjiang', version: '2025.1', period: '2025', scope: { all: true }, mode: 'DRAFT' };

let database: TestDatabase;
let population: number;

const runIdOf = (id: string) => Number(id.replace('run:', ''));
const ratingsOf = async (runId: number) =>
  Number((await sql<{ n: string }>`select count(*) as n from ratings where run_id = ${runId}`.execute(database.owner)).rows[0]!.n);
const lastStatus = async (runId: number) =>
  (await sql<{ status: string }>`select status from rating_run_events where run_id = ${runId} order by id desc limit 1`.execute(database.owner)).rows[0]!.status;

/** Each statement inserting into `table` sleeps `seconds` before it can commit. */
async function slowDown(table: string, seconds: number) {
  await sql.raw(`create or replace function test_slow_statement() returns trigger language plpgsql as $$ begin perform pg_sleep(${seconds}); return null; end $$`).execute(database.owner);
  await sql.raw(`create trigger test_slow_statement after insert on ${table} for each statement execute function test_slow_statement()`).execute(database.owner);
}
const speedUp = (table: string) => sql.raw(`drop trigger if exists test_slow_statement on ${table}`).execute(database.owner);

beforeAll(async () => {
  if (!postgres) return;
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 9, enterprises: 1_600 });
  population = await countExistingDuring(database.owner, { start: '2025-01-01', end: '2025-12-31' });
}, 120_000);
afterAll(() => database?.dispose());

describe.skipIf(!postgres)('processes killed or stopped mid-way (PostgreSQL; skipped on the embedded database)', () => {
  it('SIGKILL during a rating run: the partial run is FAILED at the next start-up and can never be published', { timeout: 90_000 }, async () => {
    await slowDown('ratings', 0.5); // 4 batches of 500: about 2 s
    const victim = await spawnService({ DATABASE_URL: database.url!, JWT_SECRET: TEST_JWT_SECRET });
    let runId: number;
    try {
      const started = await client(victim.url, officer).request<any>(START, { input: runInput });
      runId = runIdOf(started.startRatingRun.id);
      // Killed once the first batch is committed and while a later one is still being written.
      await eventually(async () => ((await ratingsOf(runId)) >= 500 ? true : undefined), 'the first batch of ratings');
    } finally {
      victim.child.kill('SIGKILL');
    }
    expect(await victim.exited).toBe('SIGKILL');
    await speedUp('ratings');
    const partial = await ratingsOf(runId);
    expect(partial).toBeGreaterThanOrEqual(500);
    expect(partial).toBeLessThan(population);
    expect(await lastStatus(runId)).toBe('RUNNING');

    // The next start (here in-process, on the same database) marks it FAILED; it cannot go further.
    const next = await startService({ config: { ...config, databaseUrl: database.url } });
    try {
      const url = `${next.url}/graphql`;
      const failed = (await client(url, officer).request<any>(RUN, { id: `run:${runId}` })).ratingRun;
      expect(failed.status).toBe('FAILED');
      expect(failed.history.at(-1)).toMatchObject({ status: 'FAILED', actor: 'system', detail: expect.stringContaining('interrupted') });
      const refused = await graphqlError(client(url, admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id: `run:${runId}` }));
      expect(refused.extensions.code).toBe('CONFLICT');
      expect(await ratingsOf(runId)).toBe(partial); // nothing more was written for it
      const effects = await sql<{ n: string }>`select count(*) as n from rating_effects`.execute(database.owner);
      expect(Number(effects.rows[0]!.n)).toBe(0);

      // A new run over the same evidence completes and rates everyone.
      const again = await client(url, officer).request<any>(START, { input: runInput });
      await next.tracker.completion(runIdOf(again.startRatingRun.id));
      const done = (await client(url, officer).request<any>(RUN, { id: again.startRatingRun.id })).ratingRun;
      expect(done).toMatchObject({ status: 'DRAFTED', progress: { done: population, total: population } });
    } finally {
      await next.stop();
    }
  });

  it('SIGTERM during a rating run ends it as FAILED at a batch boundary, and another instance starting meanwhile leaves it alone', { timeout: 90_000 }, async () => {
    await slowDown('ratings', 0.5);
    const first = await spawnService({ DATABASE_URL: database.url!, JWT_SECRET: TEST_JWT_SECRET });
    try {
      const started = await client(first.url, officer).request<any>(START, { input: runInput });
      const runId = runIdOf(started.startRatingRun.id);
      await eventually(async () => ((await ratingsOf(runId)) >= 500 ? true : undefined), 'the first batch of ratings');

      // A second instance starting now must not take the live run for a dead one (its lease is held).
      const second = await startService({ config: { ...config, databaseUrl: database.url } });
      await second.stop();
      expect(await lastStatus(runId)).toBe('RUNNING');

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const history = (await sql<{ status: string; actor: string; detail: unknown }>`
        select status, actor, detail from rating_run_events where run_id = ${runId} order by id`.execute(database.owner)).rows;
      expect(history.map((e) => e.status)).toEqual(['RUNNING', 'FAILED']);
      expect(history[1]).toMatchObject({ actor: 'system', detail: { error: 'interrupted: the service stopped during the run' } });
      const rated = await ratingsOf(runId);
      expect(rated % 500 === 0 || rated === population).toBe(true); // whole batches only
      expect(first.lines.some((l) => l.includes('rating run stopped with the service'))).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
      await speedUp('ratings');
    }
  });

  // Each in a database of its own: the generated files and the seeded city would share source ids.
  it('SIGKILL during an import apply leaves nothing; the same file then imports once', { timeout: 120_000 }, () => inFreshDatabase(importKilledMidApply));

  it('SIGKILL after an import committed, amid its dynamic adjustments: the next import makes the rest, each once', { timeout: 120_000 }, () =>
    inFreshDatabase(importKilledMidAdjustments));
});

async function inFreshDatabase(test: () => Promise<void>): Promise<void> {
  const seeded = database;
  database = await createTestDatabase();
  try {
    await test();
  } finally {
    await database.dispose();
    database = seeded;
  }
}

async function importKilledMidAdjustments() {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-killed-adjustments-'));
  const counts = await writeImportFiles(dir, { enterprises: 400, recordsPerEnterprise: 10, seed: 424242 });
  const env = { ...process.env, DATABASE_URL: database.url!, JWT_SECRET: TEST_JWT_SECRET };
  await run(process.execPath, [BIN, 'import', '--kind', 'enterprises', join(dir, 'enterprises.csv')], { env });
  const count = async (query: RawBuilder<{ n: string }>) => Number((await query.execute(database.owner)).rows[0]!.n);
  const adjustmentsMade = () => count(sql<{ n: string }>`select count(*) as n from rating_effects where cause = 'DYNAMIC_ADJUSTMENT'`);
  const unfinished = () => count(sql<{ n: string }>`
    select count(*) as n from pending_adjustments p where not exists (select 1 from pending_adjustment_completions c where c.pending_id = p.id)`);

  // Each adjustment takes a second to commit: killed once one has, while the next is being written.
  await slowDown('rating_effects', 1);
  await importKilledWhile(join(dir, 'violations.csv'), env, 'adjustments', '%insert into "rating_effects"%', 'the next adjustment to be written', () =>
    eventually(async () => ((await adjustmentsMade()) >= 1 ? true : undefined), 'the first adjustment', 60_000));
  await speedUp('rating_effects');

  // The import itself committed; its adjustments were cut short and are still owed.
  expect(await count(sql<{ n: string }>`select count(*) as n from violations`)).toBe(counts.violations);
  const beforeKill = await adjustmentsMade();
  expect(beforeKill).toBeGreaterThanOrEqual(1);
  expect(await unfinished()).toBe(1);

  // Re-importing the file stores nothing, but first makes the adjustments the killed import owed.
  const again = JSON.parse((await run(process.execPath, [BIN, 'import', '--kind', 'violations', join(dir, 'violations.csv')], { env })).stdout);
  expect(again).toMatchObject({ applied: 0, unchanged: counts.violations, rejected: 0, dynamicAdjustments: 0 });
  expect(await unfinished()).toBe(0);
  const total = await adjustmentsMade();
  expect(total).toBeGreaterThan(beforeKill);
  const completion = (await sql<{ adjusted: number; completed_by: string }>`select adjusted, completed_by from pending_adjustment_completions`.execute(database.owner)).rows;
  expect(completion).toEqual([{ adjusted: total - beforeKill, completed_by: expect.stringMatching(/^envcredit import/) }]);
  // Once each: no violation triggered two effects, and every dynamic run is in effect.
  expect(await count(sql<{ n: string }>`select count(*) as n from (select trigger_evidence from rating_effects where trigger_evidence is not null group by trigger_evidence having count(*) > 1) twice`)).toBe(0);
  expect(await count(sql<{ n: string }>`select count(*) as n from rating_runs where mode = 'DYNAMIC'`)).toBe(total);
}

async function importKilledMidApply() {
  const dir = mkdtempSync(join(tmpdir(), 'envcredit-killed-import-'));
  const counts = await writeImportFiles(dir, { enterprises: 400, recordsPerEnterprise: 10, seed: 424242 });
  const env = { ...process.env, DATABASE_URL: database.url!, JWT_SECRET: TEST_JWT_SECRET };
  await run(process.execPath, [BIN, 'import', '--kind', 'enterprises', join(dir, 'enterprises.csv')], { env });
  const violationsBefore = Number((await sql<{ n: string }>`select count(*) as n from violations`.execute(database.owner)).rows[0]!.n);
  expect(counts.violations).toBeGreaterThan(0);

  await slowDown('violations', 3);
  // Its server session finishes the sleeping statement, finds the client gone and rolls back.
  await importKilledWhile(join(dir, 'violations.csv'), env, 'import', '%insert into violations%', 'the import to reach its apply statement');
  await speedUp('violations');
  const violationsAfterKill = Number((await sql<{ n: string }>`select count(*) as n from violations`.execute(database.owner)).rows[0]!.n);
  expect(violationsAfterKill).toBe(violationsBefore);

  const once1 = JSON.parse((await run(process.execPath, [BIN, 'import', '--kind', 'violations', join(dir, 'violations.csv')], { env })).stdout);
  expect(once1).toMatchObject({ applied: counts.violations, rejected: 0 });
  // The generated city has veto-class penalties: each re-rated its enterprise once the import committed.
  const dynamicRuns = Number((await sql<{ n: string }>`select count(*) as n from rating_runs where mode = 'DYNAMIC'`.execute(database.owner)).rows[0]!.n);
  expect(once1.dynamicAdjustments).toBeGreaterThan(0);
  expect(dynamicRuns).toBe(once1.dynamicAdjustments);
  const twice = JSON.parse((await run(process.execPath, [BIN, 'import', '--kind', 'violations', join(dir, 'violations.csv')], { env })).stdout);
  expect(twice).toMatchObject({ applied: 0, unchanged: counts.violations, rejected: 0, dynamicAdjustments: 0 });
}

/**
 * `envcredit import --kind violations FILE` in a process of its own, killed (SIGKILL) once `first`
 * (when given) has happened and its session is running a statement like `statement`; returns when
 * that session has ended on the server.
 */
async function importKilledWhile(file: string, env: NodeJS.ProcessEnv, label: string, statement: string, what: string, first?: () => Promise<unknown>) {
  const appName = `envcredit-killed-${label}-${process.pid}`;
  const url = new URL(database.url!);
  url.searchParams.set('application_name', appName);
  const importer = spawn(process.execPath, [BIN, 'import', '--kind', 'violations', file], { env: { ...env, DATABASE_URL: url.toString() }, stdio: 'ignore' });
  const exited = once(importer, 'exit');
  try {
    await first?.();
    await eventually(async () => {
      const { rows } = await sql<{ query: string }>`
        select query from pg_stat_activity where application_name = ${appName} and state = 'active' and query ilike ${statement}`.execute(database.owner);
      return rows.length > 0 ? true : undefined;
    }, what);
  } finally {
    importer.kill('SIGKILL');
  }
  expect((await exited)[1]).toBe('SIGKILL');
  await eventually(async () => {
    const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where application_name = ${appName}`.execute(database.owner);
    return Number(rows[0]!.n) === 0 ? true : undefined;
  }, 'the killed session to end', 30_000, 100);
}
