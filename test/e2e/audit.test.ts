/**
 * The tamper-evident audit log (issue 7, item 4): which operations append, that the chain links,
 * that concurrent appends never fork it, that the application cannot edit it, and that an edit made
 * behind its back (as a superuser, with the trigger disabled) is reported at exactly that row.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gql } from 'graphql-request';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStored, GENESIS_HASH, rowHash, verifyAuditChain } from '../../src/audit/chain.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';
import { expectHistoryRefused } from '../support/db.ts';
import { graphqlError, startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const BIN = new URL('../../src/cli/envcredit.mjs', import.meta.url).pathname;

const CODE = withCheckCharacter('91220681MA1000201');
const officer = { role: 'bureau_officer', org: 'linjiang-eeb', subject: 'officer-audit' } as const;
const admin = { role: 'bureau_admin', org: 'linjiang-eeb', subject: 'admin-audit' } as const;
const bank = { role: 'bank', org: 'bank-a', subject: 'bank-audit' } as const;
const insurer = { role: 'insurer', org: 'insurer-a', subject: 'insurer-audit' } as const;

const REGISTER = gql`
  mutation Register($input: EnterpriseInput!) {
    registerEnterprise(input: $input) { created }
  }
`;
const CHECK = gql`
  query Check($code: String!, $purpose: CheckPurpose!) {
    creditCheck(creditCode: $code, purpose: $purpose) { verdict }
  }
`;
const AUDIT_LOG = gql`
  query Audit($first: Int, $after: String, $actor: String, $rootField: String) {
    auditLog(first: $first, after: $after, actor: $actor, rootField: $rootField) {
      edges { node { id at actor role org operationType operationName rootFields variablesDigest status errorCode requestId prevHash hash } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

let server: TestServer;
const count = async () => Number((await server.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('audit log', () => {
  it('appends a row for a mutation, with who, what and how it ended', async () => {
    const before = await count();
    await server.client(officer).request(REGISTER, { input: { creditCode: CODE, name: '临江市审计测试有限公司', region: '花山镇', industry: 'C27' } });
    expect(await count()).toBe(before + 1);
    const row = await server.database.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      actor: 'officer-audit',
      role: 'bureau_officer',
      org: 'linjiang-eeb',
      operation_type: 'mutation',
      operation_name: 'Register',
      root_fields: ['registerEnterprise'],
      status: 'OK',
      error_code: null,
    });
    expect(row.variables_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain('审计测试'); // variable values are not stored, only their digest
  });

  it('appends for refused mutations too (anonymous and forbidden)', async () => {
    const before = await count();
    expect((await graphqlError(server.client().request(REGISTER, { input: { creditCode: CODE, name: 'x', region: 'y', industry: 'C' } }))).extensions.code).toBe('UNAUTHENTICATED');
    expect((await graphqlError(server.client(bank).request(REGISTER, { input: { creditCode: CODE, name: 'x', region: 'y', industry: 'C' } }))).extensions.code).toBe('FORBIDDEN');
    const rows = await server.database.db.selectFrom('audit_log').selectAll().where('id', '>', 0).orderBy('id', 'desc').limit(2).execute();
    expect(await count()).toBe(before + 2);
    expect(rows.map((r) => [r.actor, r.status, r.error_code])).toEqual([
      ['bank-audit', 'ERROR', 'FORBIDDEN'],
      ['anonymous', 'ERROR', 'UNAUTHENTICATED'],
    ]);
  });

  it('appends for operations refused before they ran: a NUL character (a mutation, an institution query), a variable that does not fit', async () => {
    const before = await count();
    const nul = { creditCode: CODE, name: 'a\u0000b', region: 'y', industry: 'C' };
    const sender = { ...officer, subject: 'officer-audit-nul' }; // not officer-audit, whose rows a later test counts
    expect((await graphqlError(server.client(sender).request(REGISTER, { input: nul }))).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: '$input.name' });
    expect((await graphqlError(server.client(bank).request(CHECK, { code: `${CODE}\u0000`, purpose: 'LOAN' }))).extensions.code).toBe('VALIDATION_FAILED');
    // A variable that does not fit its type: recorded with the code the client sees.
    expect((await graphqlError(server.client(sender).request(REGISTER, { input: { creditCode: CODE, region: 'y', industry: 'C' } }))).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(await count()).toBe(before + 3);
    const rows = await server.database.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(3).execute();
    expect(rows.map((r) => [r.actor, r.operation_type, r.operation_name, r.root_fields, r.status, r.error_code])).toEqual([
      ['officer-audit-nul', 'mutation', 'Register', ['registerEnterprise'], 'ERROR', 'BAD_USER_INPUT'],
      ['bank-audit', 'query', 'Check', ['creditCheck'], 'ERROR', 'VALIDATION_FAILED'],
      ['officer-audit-nul', 'mutation', 'Register', ['registerEnterprise'], 'ERROR', 'VALIDATION_FAILED'],
    ]);
  });

  it('appends for every institution lookup, not for public or bureau reads', async () => {
    const before = await count();
    await server.client().request(gql`{ enterprise(creditCode: "${CODE}") { name } }`);
    await server.client().request(gql`{ ruleSets { id } }`);
    await server.client(officer).request(gql`{ enterprises(first: 1) { edges { node { creditCode } } } }`);
    await server.client(officer).request(CHECK, { code: CODE, purpose: 'LOAN' });
    expect(await count()).toBe(before);

    await server.client(bank).request(CHECK, { code: CODE, purpose: 'LOAN' });
    await server.client(insurer).request(CHECK, { code: CODE, purpose: 'INSURANCE' });
    await graphqlError(server.client(bank).request(CHECK, { code: CODE, purpose: 'INSURANCE' })); // purpose not the bank's
    expect(await count()).toBe(before + 3);
    const rows = await server.database.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(3).execute();
    expect(rows.map((r) => [r.actor, r.role, r.org, r.operation_type, r.root_fields, r.status])).toEqual([
      ['bank-audit', 'bank', 'bank-a', 'query', ['creditCheck'], 'ERROR'],
      ['insurer-audit', 'insurer', 'insurer-a', 'query', ['creditCheck'], 'OK'],
      ['bank-audit', 'bank', 'bank-a', 'query', ['creditCheck'], 'OK'],
    ]);
  });

  it('serialises concurrent appends: the chain never forks', async () => {
    const before = await count();
    await Promise.all(Array.from({ length: 25 }, (_, i) => server.client(i % 2 ? bank : insurer).request(CHECK, { code: CODE, purpose: i % 2 ? 'LOAN' : 'INSURANCE' })));
    expect(await count()).toBe(before + 25);
    const rows = await server.database.db.selectFrom('audit_log').select(['id', 'prev_hash', 'hash']).orderBy('id').execute();
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    const result = await verifyAuditChain(server.database.db, 7); // small pages: crosses page boundaries
    expect(result).toMatchObject({ intact: true, rows: rows.length });
  });

  it('auditLog pages newest first for bureau_admin, filters, and is refused to everyone else', async () => {
    const first = await server.client(admin).request<any>(AUDIT_LOG, { first: 3 });
    const nodes = first.auditLog.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(3);
    expect(Number(nodes[0].id)).toBeGreaterThan(Number(nodes[1].id));
    expect(nodes[1].prevHash).toBe(nodes[2].hash);
    const next = await server.client(admin).request<any>(AUDIT_LOG, { first: 3, after: first.auditLog.pageInfo.endCursor });
    expect(next.auditLog.edges[0].node.prevHash === nodes[2].prevHash || Number(next.auditLog.edges[0].node.id) < Number(nodes[2].id)).toBe(true);
    expect(next.auditLog.edges[0].node.hash).toBe(nodes[2].prevHash);
    const mine = await server.client(admin).request<any>(AUDIT_LOG, { first: 100, actor: 'officer-audit', rootField: 'registerEnterprise' });
    expect(mine.auditLog.edges.map((e: any) => e.node.operationName)).toEqual(['Register']);
    for (const caller of [officer, bank]) {
      expect((await graphqlError(server.client(caller).request(AUDIT_LOG, { first: 1 }))).extensions.code).toBe('FORBIDDEN');
    }
    expect((await graphqlError(server.client().request(AUDIT_LOG, { first: 1 }))).extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the ordinary path', async () => {
    const before = await verifyAuditChain(server.database.db);
    await expectHistoryRefused(server.database, `update audit_log set actor = 'someone-else' where id = (select min(id) from audit_log)`);
    await expectHistoryRefused(server.database, 'delete from audit_log where id = (select max(id) from audit_log)');
    await expectHistoryRefused(server.database, 'truncate audit_log');
    expect(await verifyAuditChain(server.database.db)).toEqual(before);
  });

  it('verify reports exactly the row a superuser edited behind the trigger', async () => {
    const db = server.database.owner;
    const intact = await verifyAuditChain(db);
    expect(intact.intact).toBe(true);
    const ids = (await db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    const victim = ids[Math.floor(ids.length / 2)]!;
    const stored = await db.selectFrom('audit_log').select('hash').where('id', '=', victim).executeTakeFirstOrThrow();
    // As the owner (postgres / PGlite): the service's own role may not disable the trigger.
    await db.transaction().execute(async (trx) => {
      await sql`alter table audit_log disable trigger audit_log_is_history`.execute(trx);
      await sql`update audit_log set org = 'bank-b' where id = ${victim}`.execute(trx);
      await sql`alter table audit_log enable trigger audit_log_is_history`.execute(trx);
    });
    const broken = await verifyAuditChain(db);
    expect(broken).toMatchObject({ intact: false, brokenAt: victim, problem: 'hash', found: stored.hash });
    expect(broken.intact ? '' : broken.expected).not.toBe(stored.hash);

    if (server.database.url) {
      // The operator command against the same database.
      const cli = await run(process.execPath, [BIN, 'audit', 'verify'], { env: { ...process.env, DATABASE_URL: server.database.url } }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
      expect(cli.code).toBe(3);
      expect(cli.stdout).toContain(`chain broken at row ${victim}`);
      expect(cli.stdout).toContain(`found ${stored.hash}`);
    }

    // Re-hashing the edited row to hide the edit moves the break to the next row's link.
    const next = ids[ids.indexOf(victim) + 1]!;
    const edited = fromStored((await db.selectFrom('audit_log').selectAll().where('id', '=', victim).executeTakeFirstOrThrow()) as never);
    const forged = rowHash(edited.id, edited, edited.prevHash);
    await db.transaction().execute(async (trx) => {
      await sql`alter table audit_log disable trigger audit_log_is_history`.execute(trx);
      await sql`update audit_log set hash = ${forged} where id = ${victim}`.execute(trx);
      await sql`alter table audit_log enable trigger audit_log_is_history`.execute(trx);
    });
    expect(await verifyAuditChain(db)).toMatchObject({ intact: false, brokenAt: next, problem: 'prev_hash', expected: forged, found: stored.hash });
  });
});
