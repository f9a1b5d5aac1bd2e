import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.ts';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.ts';
import { withCheckCharacter } from '../../src/evidence/credit-code.ts';

// Migration 0017 on watch lists written before it: PGlite here, PostgreSQL through every other test.
const A = withCheckCharacter('91220681MA1000201');
const B = withCheckCharacter('91220681MA1000202');

let handle: DatabaseHandle;
const migrator = () => new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations } });

beforeAll(async () => {
  handle = await connectDatabase({ inMemory: true });
  expect((await migrator().migrateTo('0016_evidence_recorded_at_brin')).error).toBeUndefined();
  await sql`
    insert into watches (institution_org, credit_code, watched_by) values
      ('fin-group-1', ${A}, 'bank:fin-group-1:loan-officer'),
      ('insurer-a', ${B}, 'insurer:insurer-a:ins-1'),
      ('bank-a', ${B}, 'bank:bank-a')`.execute(handle.db);
  expect((await migrator().migrateToLatest()).error).toBeUndefined();
}, 60_000);
afterAll(() => handle?.close());

describe('migration 0017 (watches keyed by institution role and org)', () => {
  it('takes each watch’s role from its watched_by and drops those an org-less token wrote', async () => {
    const { rows } = await sql<{ institution_role: string; institution_org: string; credit_code: string }>`
      select institution_role, institution_org, credit_code from watches order by institution_org`.execute(handle.db);
    expect(rows).toEqual([
      { institution_role: 'bank', institution_org: 'fin-group-1', credit_code: A },
      { institution_role: 'insurer', institution_org: 'insurer-a', credit_code: B },
    ]);
  });

  it('lets an insurer watch a code its group’s bank watches, once', async () => {
    const add = (role: string) => sql`
      insert into watches (institution_role, institution_org, credit_code, watched_by) values (${role}, 'fin-group-1', ${A}, ${`${role}:fin-group-1:u`})
      on conflict (institution_role, institution_org, credit_code) do nothing`.execute(handle.db);
    expect((await add('insurer')).numAffectedRows).toBe(1n);
    expect((await add('insurer')).numAffectedRows).toBe(0n);
  });
});
