/** Who is calling, as established from a verified token. */
export const ROLES = ['bureau_admin', 'bureau_officer', 'bank', 'insurer', 'finance', 'enterprise'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  /** The institution or bureau the caller acts for. */
  org: string | null;
  /** For the `enterprise` role: the one enterprise it may act for. */
  creditCode: string | null;
}

export const isBureau = (p: Principal | null): boolean => p?.role === 'bureau_admin' || p?.role === 'bureau_officer';

/** The name recorded as `recorded_by` / `decided_by` on history rows. */
export const actorName = (p: Principal): string => (p.org ? `${p.role}:${p.org}:${p.subject}` : `${p.role}:${p.subject}`);

/** The roles that act for an institution (a bank, an insurer, a finance department). */
export const INSTITUTION_ROLES = ['bank', 'insurer', 'finance'] as const;
export type InstitutionRole = (typeof INSTITUTION_ROLES)[number];

export const isInstitutionRole = (role: Role): role is InstitutionRole => (INSTITUTION_ROLES as readonly Role[]).includes(role);

/**
 * Who an institution is: its role and its org together. The org alone is not enough: a bank and an
 * insurer of one financial group may carry the same org, and must not share a watch list or see each
 * other's inquiries.
 */
export interface Institution {
  role: InstitutionRole;
  org: string;
}

/** The institution a principal acts for; null for bureau roles and enterprises. Tokens of institution roles always carry an org (src/auth/jwt.ts). */
export function institutionOf(principal: Principal): Institution | null {
  if (!isInstitutionRole(principal.role) || principal.org === null) return null;
  return { role: principal.role, org: principal.org };
}
