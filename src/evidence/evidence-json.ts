import { jsonArray, jsonBoolean, jsonNullable, jsonNumber, jsonObject, jsonString, type JsonWriter } from '../rules/canonical-json.ts';
import type {
  AuditEvidence,
  ComplaintEvidence,
  DisclosureEvidence,
  EmissionEvidence,
  EnterpriseFacts,
  EvidenceSet,
  PermitReportEvidence,
  Standing,
  ViolationEvidence,
} from './evidence-set.ts';

const text = jsonString;
const optionalText = jsonNullable(jsonString);
const optionalNumber = jsonNullable(jsonNumber);

const violation = jsonObject<ViolationEvidence>({
  id: text,
  decisionNumber: text,
  decidedOn: text,
  violationType: text,
  incidentSeverity: optionalText,
  fineCny: jsonNumber,
  measures: jsonArray(jsonString),
  rectifiedOn: optionalText,
});

const emission = jsonObject<EmissionEvidence>({
  id: text,
  periodStart: text,
  periodEnd: text,
  outletCode: text,
  pollutant: text,
  measuredValue: jsonNumber,
  permittedLimit: jsonNumber,
  permittedMinimum: jsonNumber, // left out when absent (no range)
  unit: text,
  monitoringSource: text,
  exceedanceRatio: optionalNumber,
  exceedanceDb: optionalNumber,
});

const audit = jsonObject<AuditEvidence>({ id: text, auditDate: text, level: text, accepted: jsonBoolean, acceptedOn: optionalText });

const disclosure = jsonObject<DisclosureEvidence>({ id: text, year: jsonNumber, status: text, checkedOn: text });

const complaint = jsonObject<ComplaintEvidence>({ id: text, receivedOn: text, verifiedOn: text, channel: text, substantiated: jsonBoolean });

const permitReport = jsonObject<PermitReportEvidence>({
  id: text,
  reportType: text,
  periodEnd: text,
  dueOn: text,
  submittedOn: optionalText,
  complete: jsonBoolean,
});

const enterprise = jsonObject<EnterpriseFacts>({
  name: text,
  region: text,
  industry: text,
  keyDischargeUnit: jsonBoolean,
  registeredOn: optionalText,
  closedOn: optionalText,
});

/**
 * `canonicalJson(evidenceSet)`, written from the set's known shape: the bytes of a rating's
 * evidence fingerprint. A run writes one per enterprise, often twice the size of the rating.
 */
export const evidenceSetJson: JsonWriter<EvidenceSet> = jsonObject<EvidenceSet>({
  creditCode: text,
  enterprise: jsonNullable(enterprise),
  standing: jsonObject<Standing>({ leader: jsonBoolean, creditCommitment: jsonBoolean }),
  violations: jsonArray(violation),
  emissions: jsonArray(emission),
  audits: jsonArray(audit),
  disclosures: jsonArray(disclosure),
  complaints: jsonArray(complaint),
  permitReports: jsonArray(permitReport),
});
