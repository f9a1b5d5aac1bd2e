import { sql } from 'kysely';
import type { Db, EnterpriseRow } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { lockEnterpriseForWrite, lockTableForSingleWrite } from '../db/locks.ts';
import { appError, notFound } from '../errors.ts';
import type { Page } from '../graphql/pagination.ts';

/** The attributes an enterprise revision carries (credit code excluded). */
export interface EnterpriseDetails {
  name: string;
  region: string;
  industry: string;
  legalRepresentative: string | null;
  keyDischargeUnit: boolean;
  permitNumber: string | null;
  registeredOn: string | null;
  closedOn: string | null;
}

export interface Provenance {
  source: string;
  sourceId: string;
  recordedBy: string;
}

export interface StoredEnterprise {
  enterprise: EnterpriseRow;
  created: boolean;
}

export async function findEnterprises(db: Db, codes: readonly string[]): Promise<EnterpriseRow[]> {
  if (codes.length === 0) return [];
  return db.selectFrom('enterprise_current').selectAll().where('credit_code', 'in', [...codes]).execute();
}

export async function findEnterprise(db: Db, code: string): Promise<EnterpriseRow | undefined> {
  return db.selectFrom('enterprise_current').selectAll().where('credit_code', '=', code).executeTakeFirst();
}

export interface EnterpriseFilter {
  region?: string | null;
  /** A GB/T 4754 prefix: `C` is all manufacturing, `C20` wood processing. */
  industry?: string | null;
}

export async function listEnterprises(db: Db, filter: EnterpriseFilter, page: Page<string>): Promise<EnterpriseRow[]> {
  let query = db.selectFrom('enterprise_current').selectAll().orderBy('credit_code').limit(page.limit + 1);
  if (page.after) query = query.where('credit_code', '>', page.after);
  if (filter.region) query = query.where('region', '=', filter.region);
  if (filter.industry) query = query.where('industry', 'like', `${filter.industry}%`);
  return query.execute();
}

type DetailColumns = Pick<EnterpriseRow, 'name' | 'region' | 'industry' | 'legal_representative' | 'key_discharge_unit' | 'permit_number' | 'registered_on' | 'closed_on'>;

function sameDetails(row: DetailColumns, details: EnterpriseDetails): boolean {
  return (
    row.name === details.name &&
    row.region === details.region &&
    row.industry === details.industry &&
    row.legal_representative === details.legalRepresentative &&
    row.key_discharge_unit === details.keyDischargeUnit &&
    row.permit_number === details.permitNumber &&
    row.registered_on === details.registeredOn &&
    row.closed_on === details.closedOn
  );
}

const revisionValues = (code: string, revision: number, d: EnterpriseDetails, p: Provenance) => ({
  credit_code: code,
  revision,
  name: d.name,
  region: d.region,
  industry: d.industry,
  legal_representative: d.legalRepresentative,
  key_discharge_unit: d.keyDischargeUnit,
  permit_number: d.permitNumber,
  registered_on: d.registeredOn,
  closed_on: d.closedOn,
  source: p.source,
  source_id: p.sourceId,
  recorded_by: p.recordedBy,
});

/** The enterprise whose record a source key already names, if any. */
async function sourceKeyOwner(trx: Db, provenance: Provenance): Promise<string | undefined> {
  const row = await trx
    .selectFrom('enterprise_revisions')
    .select('credit_code')
    .where('source', '=', provenance.source)
    .where('source_id', '=', provenance.sourceId)
    .executeTakeFirst();
  return row?.credit_code;
}

/**
 * Single writers share the table lock, so two of them can both find a source key free; the unique
 * constraint stops the second, which is answered with the same CONFLICT as a key found in use.
 */
function sourceKeyRace(error: unknown, provenance: Provenance): unknown {
  if (!isUniqueViolation(error, 'enterprise_revisions_source')) return error;
  return appError('CONFLICT', `source ${provenance.source}/${provenance.sourceId} was just used for another record`, { field: 'input.sourceId' });
}

/**
 * Registers an enterprise. Registering the same details again is a no-op returning the stored
 * enterprise; different details for a known code are a CONFLICT (changes go through a revision), and
 * so is a source key that already names another enterprise's record.
 */
export async function registerEnterprise(db: Db, code: string, details: EnterpriseDetails, provenance: Provenance): Promise<StoredEnterprise> {
  return db.transaction().execute(async (trx) => {
    await lockTableForSingleWrite(trx, 'enterprise_revisions');
    await lockEnterpriseForWrite(trx, code);
    const inserted = await trx
      .insertInto('enterprises')
      .values({ credit_code: code, created_by: provenance.recordedBy })
      .onConflict((oc) => oc.column('credit_code').doNothing())
      .returning('credit_code')
      .executeTakeFirst();
    if (inserted) {
      const owner = await sourceKeyOwner(trx, provenance);
      if (owner !== undefined) {
        // Thrown inside the transaction, so the enterprises row just added goes too.
        throw appError('CONFLICT', `source ${provenance.source}/${provenance.sourceId} is already used for enterprise ${owner}`, { field: 'input.sourceId' });
      }
      await trx.insertInto('enterprise_revisions').values(revisionValues(code, 1, details, provenance)).execute();
      return { enterprise: (await findEnterprise(trx, code))!, created: true };
    }
    const existing = (await findEnterprise(trx, code))!;
    if (sameDetails(existing, details)) return { enterprise: existing, created: false };
    throw appError('CONFLICT', `enterprise ${code} is already registered with different details; use reviseEnterprise to record a change`, {
      field: 'input.creditCode',
    });
  }).catch((error: unknown) => {
    throw sourceKeyRace(error, provenance);
  });
}

/** Records a change of an enterprise's details as a new revision; the earlier ones stay. */
export async function reviseEnterprise(db: Db, code: string, details: EnterpriseDetails, provenance: Provenance): Promise<StoredEnterprise> {
  return db.transaction().execute(async (trx) => {
    // One reviser per enterprise at a time, so two concurrent revisions cannot take the same number.
    // (An advisory lock: SELECT … FOR UPDATE needs UPDATE on enterprises, which the service's role lacks.)
    await lockTableForSingleWrite(trx, 'enterprise_revisions');
    await lockEnterpriseForWrite(trx, code);
    await sql`select pg_advisory_xact_lock(hashtext(${`envcredit:enterprise:${code}`}))`.execute(trx);
    const known = await trx.selectFrom('enterprises').select('credit_code').where('credit_code', '=', code).executeTakeFirst();
    if (!known) throw notFound(`enterprise ${code}`, 'input.creditCode');
    // The revision this source key recorded: a feed re-sent after later revisions is still a replay
    // of it, so it is compared with that revision, not with the current one.
    const replay = await trx
      .selectFrom('enterprise_revisions')
      .selectAll()
      .where('source', '=', provenance.source)
      .where('source_id', '=', provenance.sourceId)
      .executeTakeFirst();
    const current = (await findEnterprise(trx, code))!;
    if (replay) {
      if (replay.credit_code !== code || !sameDetails(replay, details)) {
        throw appError('CONFLICT', `source ${provenance.source}/${provenance.sourceId} was already used for another record`, {
          field: 'input.sourceId',
        });
      }
      return { enterprise: current, created: false };
    }
    if (sameDetails(current, details)) return { enterprise: current, created: false };
    const next = await trx
      .selectFrom('enterprise_revisions')
      .select(sql<number>`max(revision) + 1`.as('revision'))
      .where('credit_code', '=', code)
      .executeTakeFirstOrThrow();
    await trx.insertInto('enterprise_revisions').values(revisionValues(code, next.revision, details, provenance)).execute();
    return { enterprise: (await findEnterprise(trx, code))!, created: true };
  }).catch((error: unknown) => {
    throw sourceKeyRace(error, provenance);
  });
}
