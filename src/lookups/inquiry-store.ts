import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Institution } from '../auth/principal.ts';
import type { Page } from '../graphql/pagination.ts';
import type { CreditCheckResult } from './check.ts';

export interface InquiryRow {
  id: number;
  institution_role: string;
  institution_org: string;
  subject: string;
  purpose: 'LOAN' | 'FISCAL_FUND' | 'INSURANCE';
  credit_code: string;
  as_of: Date;
  verdict: string;
  rated: boolean;
  level: string | null;
  batch: boolean;
  request_id: string;
  asked_at: Date;
}

/**
 * Records the checks an institution made, one row per distinct valid code (a code repeated in a batch
 * is one inquiry), in one statement whatever the batch size: the columns travel as arrays.
 */
export async function logInquiries(
  db: Db,
  institution: Institution & { subject: string },
  results: readonly CreditCheckResult[],
  meta: { batch: boolean; requestId: string; askedAt: Date },
): Promise<number> {
  const seen = new Set<string>();
  const rows = results.filter((r) => r.valid && !seen.has(r.creditCode) && seen.add(r.creditCode));
  if (rows.length === 0) return 0;
  const first = rows[0]!;
  await sql`
    insert into credit_inquiries (institution_role, institution_org, subject, purpose, credit_code, as_of, verdict, rated, level, batch, request_id, asked_at)
    select ${institution.role}, ${institution.org}, ${institution.subject}, ${first.purpose}, u.code, ${first.asOf}, u.verdict, u.rated, u.level,
           ${meta.batch}, ${meta.requestId}, ${meta.askedAt}
    from unnest(${rows.map((r) => r.creditCode)}::text[], ${rows.map((r) => r.verdict)}::text[], ${rows.map((r) => r.rated)}::boolean[],
                ${rows.map((r) => r.level)}::text[]) as u(code, verdict, rated, level)`.execute(db);
  return rows.length;
}

export interface InquiryFilter {
  creditCode?: string | null;
  institutionRole?: string | null;
  institutionOrg?: string | null;
  purpose?: string | null;
  askedFrom?: Date | null;
  askedTo?: Date | null;
}

/** Inquiries newest first (by id), filtered; `limit + 1` rows for paging. */
export async function searchInquiries(db: Db, filter: InquiryFilter, page: Page<number>): Promise<InquiryRow[]> {
  let query = db.selectFrom('credit_inquiries').selectAll().orderBy('id', 'desc').limit(page.limit + 1);
  if (page.after !== null) query = query.where('id', '<', page.after);
  if (filter.creditCode) query = query.where('credit_code', '=', filter.creditCode);
  if (filter.institutionRole) query = query.where('institution_role', '=', filter.institutionRole);
  if (filter.institutionOrg) query = query.where('institution_org', '=', filter.institutionOrg);
  if (filter.purpose) query = query.where('purpose', '=', filter.purpose as InquiryRow['purpose']);
  if (filter.askedFrom) query = query.where('asked_at', '>=', filter.askedFrom);
  if (filter.askedTo) query = query.where('asked_at', '<', filter.askedTo);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), credit_code: r.credit_code.trim() })) as InquiryRow[];
}
