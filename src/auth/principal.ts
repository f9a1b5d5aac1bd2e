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
