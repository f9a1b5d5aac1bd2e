import type {
  AuditEvidence,
  ComplaintEvidence,
  DisclosureEvidence,
  EmissionEvidence,
  EvidenceSet,
  PermitReportEvidence,
  ViolationEvidence,
} from './evidence-set.ts';

/**
 * The date each kind of record counts from (rules see it as `date`). A rating as of a day sees only
 * the records dated by then: the engine drops the others, a rating's evidence fingerprint covers the
 * rest (`evidenceAsOf`), and a run does not even load them (`DATED_ON_SQL` in
 * evidence-set.ts, which must agree, as must the existence check in existence.ts).
 */
export const datedOn = {
  violation: (v: ViolationEvidence): string => v.decidedOn,
  emission: (e: EmissionEvidence): string => e.periodEnd,
  audit: (a: AuditEvidence): string => a.acceptedOn ?? a.auditDate,
  disclosure: (d: DisclosureEvidence): string => `${d.year}-12-31`,
  complaint: (c: ComplaintEvidence): string => c.verifiedOn,
  permitReport: (p: PermitReportEvidence): string => p.dueOn,
} as const;

/**
 * The evidence a rating as of `asOf` can see: every record dated after it left out. The same object
 * when there is none (the usual case for a run, whose loader left them out already).
 */
export function evidenceAsOf(evidence: EvidenceSet, asOf: string): EvidenceSet {
  const seen = <T>(records: T[], date: (record: T) => string): T[] => (records.every((r) => date(r) <= asOf) ? records : records.filter((r) => date(r) <= asOf));
  const violations = seen(evidence.violations, datedOn.violation);
  const emissions = seen(evidence.emissions, datedOn.emission);
  const audits = seen(evidence.audits, datedOn.audit);
  const disclosures = seen(evidence.disclosures, datedOn.disclosure);
  const complaints = seen(evidence.complaints, datedOn.complaint);
  const permitReports = seen(evidence.permitReports, datedOn.permitReport);
  const unchanged =
    violations === evidence.violations &&
    emissions === evidence.emissions &&
    audits === evidence.audits &&
    disclosures === evidence.disclosures &&
    complaints === evidence.complaints &&
    permitReports === evidence.permitReports;
  return unchanged ? evidence : { ...evidence, violations, emissions, audits, disclosures, complaints, permitReports };
}
