/**
 * The application's own database role (issue 7, item 4): after `envcredit db grant-app-role`, the
 * role may read and append history (evidence, ratings, register events, inquiries, audit) but not
 * UPDATE, DELETE or TRUNCATE it — refused by privilege, before any trigger runs. On PostgreSQL the
 * real server then runs as that role (a LOGIN role on a fresh test database) and does its work.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, verifyAuditChain } from '../../src/audit/chain.ts';
import { mintDevelopmentToken } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { sqlState } from '../../src/db/errors.ts';
import { grantAppRole, historyTables } from '../../src/db/grants.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { startService } from '../../src/service.ts';
import { createTestDatabase, withDatabaseName, type TestDatabase } from '../support/db.ts';
import { TEST_JWT_SECRET } from '../support/server.ts';

const run = promisify(execFile);
const BIN = new URL('../../src/cli/envcredit.mjs', import.meta.url).pathname;
const ROLE = `envcredit_app_t_${randomBytes(4).toString('hex')}`;
/** Tables the brief names; each must be among the history tables the grant finds. */
const MUST_BE_HISTORY = ['audit_log', 'violations', 'emission_records', 'ratings', 'rating_runs', 'rating_run_events', 'rating_effects', 'pending_adjustments', 'pending_adjustment_completions'];

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  if (database.url) await sql`create role ${sql.id(ROLE)} login`.execute(database.owner);
});
afterAll(async () => {
  await database?.dispose();
  if (process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`drop role if exists ${ROLE}`).finally(() => admin.end());
  }
});

/** Runs `work` as the app role (SET LOCAL ROLE inside a transaction that is rolled back). */
async function asAppRole<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  let value: T;
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`set local role ${sql.id(ROLE)}`.execute(trx);
      value = await work(trx as unknown as Db);
      throw new RollBack();
    })
    .catch((error) => {
      if (!(error instanceof RollBack)) throw error;
    });
  return value!;
}
class RollBack extends Error {}

const refusal = async (statement: Promise<unknown>) => {
  const error = await statement.then(() => null, (e: unknown) => e);
  return { state: sqlState(error), message: (error as Error | null)?.message ?? 'no error' };
};

describe('the suite as the service role', () => {
  it.skipIf(!process.env.DATABASE_URL)('connects as DATABASE_APP_ROLE when it is set, and CI always sets it', async () => {
    if (process.env.CI) expect(process.env.DATABASE_APP_ROLE, '.ci/run runs npm test as the application role').toBeTruthy();
    const { rows } = await sql<{ user: string; owner: string }>`select current_user as user, (select tableowner from pg_tables where tablename = 'violations') as owner`.execute(database.db);
    if (process.env.DATABASE_APP_ROLE) {
      expect(rows[0]).toEqual({ user: process.env.DATABASE_APP_ROLE, owner: expect.not.stringMatching(process.env.DATABASE_APP_ROLE) });
    } else {
      expect(rows[0]!.user).toBe(rows[0]!.owner);
    }
  });
});

describe('grant-app-role', () => {
  it('classifies tables from the catalogue and is idempotent', async () => {
    const report = await grantAppRole(database.owner, ROLE, { create: true });
    expect(report.historyTables).toEqual(expect.arrayContaining(MUST_BE_HISTORY));
    expect(report.readOnlyTables).toEqual(expect.arrayContaining(['kysely_migration', 'kysely_migration_lock']));
    for (const table of MUST_BE_HISTORY) expect(report.readWriteTables).not.toContain(table);
    expect(await historyTables(database.owner)).toEqual(report.historyTables);
    expect(await grantAppRole(database.owner, ROLE)).toEqual({ ...report, created: false });
    await expect(grantAppRole(database.owner, 'no_such_role_here')).rejects.toThrow(/does not exist/);
    await expect(grantAppRole(database.owner, 'x; drop table audit_log')).rejects.toThrow(/role name/);
  });

  it('lets the role read and append history but never UPDATE, DELETE or TRUNCATE it', async () => {
    const db = database.owner; // SET LOCAL ROLE needs a member of the role: the owner (a superuser here)
    await appendAudit(db, {
      at: new Date(), actor: 'seed', role: null, org: null, operationType: 'mutation', operationName: null, rootFields: ['x'],
      documentDigest: '0'.repeat(64), variablesDigest: '0'.repeat(64), status: 'OK', errorCode: null, requestId: 'r',
    });
    const history = await historyTables(db);
    const privileges = await sql<{ table: string; sel: boolean; ins: boolean; upd: boolean; del: boolean; trunc: boolean }>`
      select t as "table", has_table_privilege(${ROLE}, t, 'SELECT') as sel, has_table_privilege(${ROLE}, t, 'INSERT') as ins,
             has_table_privilege(${ROLE}, t, 'UPDATE') as upd, has_table_privilege(${ROLE}, t, 'DELETE') as del,
             has_table_privilege(${ROLE}, t, 'TRUNCATE') as trunc
      from unnest(${history}::text[]) as t`.execute(db);
    expect(privileges.rows).toHaveLength(history.length);
    for (const row of privileges.rows) expect(row, row.table).toMatchObject({ sel: true, ins: true, upd: false, del: false, trunc: false });

    for (const [statement, table] of [
      ['update audit_log set actor = $$x$$', 'audit_log'],
      ['delete from audit_log', 'audit_log'],
      ['truncate audit_log', 'audit_log'],
      ['update violations set source = $$x$$', 'violations'],
      ['delete from ratings', 'ratings'],
      ['update rating_effects set decided_by = $$x$$', 'rating_effects'],
      ['alter table audit_log disable trigger audit_log_is_history', 'audit_log'],
    ] as const) {
      const result = await asAppRole(db, (trx) => refusal(sql.raw(statement).execute(trx)));
      expect(result.state, `${statement}: ${result.message}`).toBe('42501'); // insufficient_privilege
      expect(result.message).toMatch(new RegExp(`permission denied|must be owner.*${table}`));
    }
    // Reading and appending work as the role: the chain grows by one and stays intact.
    const appended = await asAppRole(db, async (trx) => {
      await sql`select pg_advisory_xact_lock(1)`.execute(trx);
      const head = await trx.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      await sql`select nextval(pg_get_serial_sequence('audit_log', 'id'))`.execute(trx);
      return head.id;
    });
    expect(appended).toBeGreaterThan(0);
    expect(await verifyAuditChain(db)).toMatchObject({ intact: true, rows: 1 });
  });

  it.skipIf(!process.env.DATABASE_URL)('envcredit migrate grants DATABASE_APP_ROLE as part of migrating an empty database', async () => {
    const name = `envcredit_m_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
      const url = withDatabaseName(process.env.DATABASE_URL!, name);
      const { stdout } = await run(process.execPath, [BIN, 'migrate'], { env: { ...process.env, DATABASE_URL: url, DATABASE_APP_ROLE: ROLE }, timeout: 60_000 });
      expect(stdout).toMatch(/applied on postgres: 0001/);
      expect(stdout).toMatch(new RegExp(`granted ${ROLE}: read-and-append on \\d+ history tables`));
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      try {
        const { rows } = await check.query(
          `select has_table_privilege($1, 'violations', 'INSERT') as ins, has_table_privilege($1, 'violations', 'UPDATE') as upd,
                  has_table_privilege($1, 'watches', 'DELETE') as watch_del`, [ROLE]);
        expect(rows[0]).toEqual({ ins: true, upd: false, watch_del: true });
      } finally {
        await check.end();
      }
      const refused = await run(process.execPath, [BIN, 'migrate'], { env: { ...process.env, DATABASE_URL: url, DATABASE_APP_ROLE: 'Not A Role' } }).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
      expect(refused).toMatch(/DATABASE_APP_ROLE.*role name/);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)('runs the real service as the role: it records, audits and watches, and still cannot rewrite history', async () => {
    const url = new URL(withDatabaseName(process.env.DATABASE_URL!, new URL(database.url!).pathname.slice(1)));
    url.username = ROLE;
    url.password = '';
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO: 'false', DATABASE_URL: url.toString() });
    const service = await startService({ config });
    try {
      const call = async (role: 'bureau_officer' | 'bank', query: string, variables: Record<string, unknown> = {}) => {
        const response = await fetch(`${service.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${mintDevelopmentToken(config, { role, org: role === 'bank' ? 'bank-a' : 'linjiang-eeb' })}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data?: any; errors?: { extensions: { code: string } }[] };
      };
      const code = withCheckCharacter('91220681MA1000301');
      const registered = await call('bureau_officer', 'mutation($i: EnterpriseInput!) { registerEnterprise(input: $i) { created } }', {
        i: { creditCode: code, name: '临江市角色测试有限公司', region: '花山镇', industry: 'C27' },
      });
      expect(registered).toEqual({ data: { registerEnterprise: { created: true } } });
      expect((await call('bank', 'query($c: String!) { creditCheck(creditCode: $c, purpose: LOAN) { verdict } }', { c: code })).errors).toBeUndefined();
      expect((await call('bank', 'mutation($c: [String!]!) { watch(creditCodes: $c) { __typename } }', { c: [code] })).errors).toBeUndefined();
      expect((await call('bank', 'mutation($c: [String!]!) { unwatch(creditCodes: $c) { __typename } }', { c: [code] })).errors).toBeUndefined();
      expect(await verifyAuditChain(service.database.db)).toMatchObject({ intact: true, rows: 5 });
      const update = await refusal(sql`update audit_log set actor = 'x'`.execute(service.database.db));
      expect(update.state).toBe('42501');
    } finally {
      await service.stop();
    }
  });
});
