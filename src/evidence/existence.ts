import type { EvidenceKind } from '../db/database.ts';

/**
 * Evidence dated outside the enterprise's existence cannot be true: a penalty decided before the
 * enterprise was registered, or after it closed. A record counts from the date as-of.ts gives it
 * (DATED_ON_SQL in evidence-set.ts, repeated here as `countsFrom`); one that covers a span (an
 * emission period, a disclosure year, a complaint from receipt to verification) is refused only
 * when the whole span lies outside: it counts before registration, or begins after closure, so the
 * month or year an enterprise closed in can still be recorded. An enterprise with no registeredOn
 * (or closedOn) has no bound on that side.
 *
 * Plain SQL over an evidence row `t` (a stored row, or an import's staging row of the same columns)
 * and `enterprise_current e`, shared by recordEvidence and the import so both refuse the same rows.
 */
interface CoveredSpan {
  countsFrom: string;
  countsFromField: string;
  begins: string;
  beginsField: string;
}

const SPANS: Record<EvidenceKind, CoveredSpan> = {
  violation: { countsFrom: 't.decided_on', countsFromField: `'decidedOn'`, begins: 't.decided_on', beginsField: `'decidedOn'` },
  emission: { countsFrom: 't.period_end', countsFromField: `'periodEnd'`, begins: 't.period_start', beginsField: `'periodStart'` },
  audit: {
    countsFrom: 'coalesce(t.accepted_on, t.audit_date)',
    countsFromField: `case when t.accepted_on is null then 'auditDate' else 'acceptedOn' end`,
    begins: 't.audit_date',
    beginsField: `'auditDate'`,
  },
  disclosure: { countsFrom: 'make_date(t.year, 12, 31)', countsFromField: `'year'`, begins: 'make_date(t.year, 1, 1)', beginsField: `'year'` },
  complaint: { countsFrom: 't.verified_on', countsFromField: `'verifiedOn'`, begins: 't.received_on', beginsField: `'receivedOn'` },
  permitReport: { countsFrom: 't.due_on', countsFromField: `'dueOn'`, begins: 't.period_end', beginsField: `'periodEnd'` },
};

/**
 * `select field, reason` of the rows of `t` (joined to `enterprise_current e` on the credit code)
 * dated outside the enterprise's existence; `field` is the input field to name.
 */
export function outsideExistenceSql(kind: EvidenceKind): { field: string; reason: string; where: string } {
  const span = SPANS[kind];
  const early = `${span.countsFrom} < e.registered_on`;
  return {
    field: `case when ${early} then ${span.countsFromField} else ${span.beginsField} end`,
    reason: `case when ${early}
      then ${span.countsFrom}::text || ' is before enterprise ' || e.credit_code || ' was registered (' || e.registered_on::text || ')'
      else ${span.begins}::text || ' is after enterprise ' || e.credit_code || ' closed (' || e.closed_on::text || ')' end`,
    where: `(${early} or ${span.begins} > e.closed_on)`,
  };
}
