import type { InputFieldBuilder, ObjectFieldBuilder, ObjectRef } from '@pothos/core';
import { actorName } from '../auth/principal.ts';
import { chinaDay } from '../china-day.ts';
import type { EvidenceKind } from '../db/database.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { requestLoader } from '../graphql/loaders.ts';
import { readPage, toConnection } from '../graphql/pagination.ts';
import { bureauOrSelf, EnterpriseRef, loadEnterprise } from './enterprise-schema.ts';
import { pageEvidenceByEnterprise, recordEvidence, withdrawEvidence, type EvidenceListRow } from './evidence-store.ts';
import { checkProvenance, EVIDENCE_RULES } from './evidence-rules.ts';
import { evidenceRef, parseEvidenceRef } from './ids.ts';
import { InputCheck, requireCreditCode } from './validate.ts';
import {
  AUDIT_LEVELS,
  COMPLAINT_CHANNELS,
  DISCLOSURE_STATUSES,
  EMISSION_UNITS,
  INCIDENT_SEVERITIES,
  MONITORING_SOURCES,
  PENALTY_MEASURES,
  PERMIT_REPORT_TYPES,
  VIOLATION_TYPES,
} from './vocabulary.ts';

type Types = typeof builder extends { $inferSchemaTypes: infer T } ? T : never;
type Row = EvidenceListRow;
type Input = Record<string, any>;

const ViolationType = builder.enumType('ViolationType', { values: VIOLATION_TYPES });
const IncidentSeverity = builder.enumType('IncidentSeverity', { values: INCIDENT_SEVERITIES });
const PenaltyMeasure = builder.enumType('PenaltyMeasure', { values: PENALTY_MEASURES });
const MonitoringSource = builder.enumType('MonitoringSource', { values: MONITORING_SOURCES });
const AuditLevel = builder.enumType('AuditLevel', {
  values: { I: { description: 'International advanced' }, II: { description: 'Domestic advanced' }, III: { description: 'Domestic basic' } },
});
const DisclosureStatus = builder.enumType('DisclosureStatus', { values: DISCLOSURE_STATUSES });
const ComplaintChannel = builder.enumType('ComplaintChannel', { values: COMPLAINT_CHANNELS });
const PermitReportType = builder.enumType('PermitReportType', { values: PERMIT_REPORT_TYPES });
void AUDIT_LEVELS;

/**
 * Called after a record is stored (or replayed), inside the same request. Other capabilities
 * subscribe here (the rating module re-rates on serious violations) so evidence depends on none of them.
 */
export type EvidenceRecordedHook = (context: Context, kind: EvidenceKind, row: Row) => Promise<void>;
export const evidenceRecordedHooks: EvidenceRecordedHook[] = [];

/**
 * Called after a record was withdrawn (and again when the withdrawal is replayed: hooks must be
 * idempotent), with the withdrawn record's enterprise and ids: the rating module corrects a rating
 * that rested on it and lifts a listing that did.
 */
export type EvidenceWithdrawnHook = (context: Context, withdrawal: { kind: EvidenceKind; creditCode: string; withdrawnRef: string; withdrawalRef: string }) => Promise<void>;
export const evidenceWithdrawnHooks: EvidenceWithdrawnHook[] = [];

/** The payload type of each record mutation, for modules that add fields to it. */
export const evidencePayloadRefs = new Map<EvidenceKind, ObjectRef<Types, { row: Row; created: boolean }>>();

const asNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

interface KindSpec {
  kind: EvidenceKind;
  typeName: string;
  description: string;
  connectionField: string;
  mutation: string;
  fields: (t: ObjectFieldBuilder<Types, Row>) => Record<string, any>;
  inputFields: (t: InputFieldBuilder<Types, 'InputObject'>) => Record<string, any>;
}

const commonFields = (t: ObjectFieldBuilder<Types, Row>, kind: EvidenceKind) => ({
  id: t.id({ description: 'Evidence id, `<kind>:<number>`, as cited by ratings.', resolve: (r) => evidenceRef(kind, r.id) }),
  creditCode: t.string({ resolve: (r) => r.credit_code }),
  enterprise: t.field({ type: EnterpriseRef, resolve: async (r, _a, ctx) => (await loadEnterprise(ctx, r.credit_code))! }),
  source: t.string({ resolve: (r) => String(r.source) }),
  sourceId: t.string({ resolve: (r) => String(r.source_id) }),
  supersedesId: t.id({ nullable: true, resolve: (r) => (r.supersedes_id ? evidenceRef(kind, Number(r.supersedes_id)) : null) }),
  supersededById: t.id({ nullable: true, resolve: (r) => (r.superseded_by_id ? evidenceRef(kind, r.superseded_by_id) : null) }),
  revoked: t.boolean({ description: 'This row withdraws the record it supersedes.', resolve: (r) => Boolean(r.revoked) }),
  correctionReason: t.string({ nullable: true, resolve: (r) => (r.correction_reason as string | null) ?? null }),
  current: t.boolean({
    description: 'Counts today: neither superseded nor a withdrawal.',
    resolve: (r) => !r.revoked && (r.superseded_by_id ?? null) === null,
  }),
  recordedAt: t.field({ type: 'DateTime', resolve: (r) => r.recorded_at as Date }),
  recordedBy: t.string({ authScopes: { bureau: true }, resolve: (r) => String(r.recorded_by) }),
});

const commonInputFields = (t: InputFieldBuilder<Types, 'InputObject'>) => ({
  creditCode: t.string({ required: true }),
  source: t.string({ required: true, description: 'Source system, e.g. the penalty register.' }),
  sourceId: t.string({ required: true, description: 'Record id in the source system; re-sending the same record is a no-op.' }),
  supersedesId: t.id({ description: 'Set to correct an earlier record (its id); the earlier one stops counting.' }),
  correctionReason: t.string({ description: 'Required with supersedesId.' }),
});

const KINDS: KindSpec[] = [
  {
    kind: 'violation',
    typeName: 'Violation',
    description: 'An administrative penalty decision (行政处罚决定).',
    connectionField: 'violations',
    mutation: 'recordViolation',
    fields: (t) => ({
      decisionNumber: t.string({ resolve: (r) => String(r.decision_number) }),
      decidedOn: t.field({ type: 'Date', resolve: (r) => String(r.decided_on) }),
      violationType: t.field({ type: ViolationType, resolve: (r) => r.violation_type as never }),
      incidentSeverity: t.field({ type: IncidentSeverity, nullable: true, resolve: (r) => (r.incident_severity ?? null) as never }),
      legalBasis: t.string({ resolve: (r) => String(r.legal_basis) }),
      fineCny: t.float({ resolve: (r) => Number(r.fine_cny) }),
      measures: t.field({ type: [PenaltyMeasure], resolve: (r) => r.measures as never }),
      rectifiedOn: t.field({ type: 'Date', nullable: true, resolve: (r) => (r.rectified_on as string | null) ?? null }),
      description: t.string({ nullable: true, resolve: (r) => (r.description as string | null) ?? null }),
    }),
    inputFields: (t) => ({
      decisionNumber: t.string({ required: true, description: 'Penalty decision number, e.g. 临环罚〔2025〕12号.' }),
      decidedOn: t.field({ type: 'Date', required: true }),
      violationType: t.field({ type: ViolationType, required: true }),
      incidentSeverity: t.field({ type: IncidentSeverity, description: 'Required for ENVIRONMENTAL_INCIDENT.' }),
      legalBasis: t.string({ required: true }),
      fineCny: t.float({ description: 'Fine in CNY (default 0).' }),
      measures: t.field({ type: [PenaltyMeasure], description: 'Measures taken; FINE is implied by a fine above 0.' }),
      rectifiedOn: t.field({ type: 'Date' }),
      description: t.string(),
    }),
  },
  {
    kind: 'emission',
    typeName: 'EmissionRecord',
    description: 'One monitored value of one pollutant at one outlet over a period, against its permitted limit.',
    connectionField: 'emissionRecords',
    mutation: 'recordEmission',
    fields: (t) => ({
      periodStart: t.field({ type: 'Date', resolve: (r) => String(r.period_start) }),
      periodEnd: t.field({ type: 'Date', resolve: (r) => String(r.period_end) }),
      outletCode: t.string({ resolve: (r) => String(r.outlet_code) }),
      pollutant: t.string({ resolve: (r) => String(r.pollutant) }),
      measuredValue: t.float({ resolve: (r) => Number(r.measured_value) }),
      permittedLimit: t.float({ description: 'The permitted limit: the upper bound, or the ceiling when there is no permittedMinimum.', resolve: (r) => Number(r.permitted_limit) }),
      permittedMinimum: t.float({
        nullable: true,
        description: 'The lower bound when the limit is a range (pH 6-9): a value below it exceeds the permit too. Null for a ceiling.',
        resolve: (r) => asNumber(r.permitted_minimum),
      }),
      unit: t.string({ resolve: (r) => String(r.unit) }),
      monitoringSource: t.field({ type: MonitoringSource, resolve: (r) => r.monitoring_source as never }),
      exceedanceRatio: t.float({
        nullable: true,
        description:
          '(measured - limit) / limit; above 0 means the upper limit was exceeded. Null for noise and for pH with a range (pH is logarithmic: a ratio of pH values means nothing); a value below permittedMinimum exceeds the permit whatever this says.',
        resolve: (r) => asNumber(r.exceedance_ratio),
      }),
      exceedanceDb: t.float({ nullable: true, description: 'measured - limit in dB(A), for noise only.', resolve: (r) => asNumber(r.exceedance_db) }),
    }),
    inputFields: (t) => ({
      periodStart: t.field({ type: 'Date', required: true }),
      periodEnd: t.field({ type: 'Date', required: true }),
      outletCode: t.string({ required: true, description: 'Outlet (排放口) code from the permit, e.g. DA001, DW001.' }),
      pollutant: t.string({ required: true, description: 'e.g. SO2, NOx, PM, COD, NH3-N, noise.' }),
      measuredValue: t.float({ required: true }),
      permittedLimit: t.float({ required: true, description: 'The permitted limit; the upper bound when permittedMinimum is given.' }),
      permittedMinimum: t.float({
        description: 'The lower bound when the limit is a range: required for pH (GB 8978: 6, with permittedLimit 9), refused for dB(A); must be below permittedLimit.',
      }),
      unit: t.string({ required: true, description: `One of ${EMISSION_UNITS.join(', ')}.` }),
      monitoringSource: t.field({ type: MonitoringSource, required: true }),
    }),
  },
  {
    kind: 'audit',
    typeName: 'CleanProductionAudit',
    description: 'A clean-production audit (清洁生产审核) and whether it was accepted (验收).',
    connectionField: 'cleanProductionAudits',
    mutation: 'recordCleanProductionAudit',
    fields: (t) => ({
      auditDate: t.field({ type: 'Date', resolve: (r) => String(r.audit_date) }),
      level: t.field({ type: AuditLevel, resolve: (r) => r.level as never }),
      accepted: t.boolean({ resolve: (r) => Boolean(r.accepted) }),
      acceptedOn: t.field({ type: 'Date', nullable: true, resolve: (r) => (r.accepted_on as string | null) ?? null }),
      auditor: t.string({ nullable: true, resolve: (r) => (r.auditor as string | null) ?? null }),
    }),
    inputFields: (t) => ({
      auditDate: t.field({ type: 'Date', required: true }),
      level: t.field({ type: AuditLevel, required: true }),
      accepted: t.boolean({ required: true }),
      acceptedOn: t.field({ type: 'Date', description: 'Required when accepted.' }),
      auditor: t.string(),
    }),
  },
  {
    kind: 'disclosure',
    typeName: 'InformationDisclosure',
    description: "The bureau's check of an enterprise's legally required environmental information disclosure for a year.",
    connectionField: 'informationDisclosures',
    mutation: 'recordInformationDisclosure',
    fields: (t) => ({
      year: t.int({ resolve: (r) => Number(r.year) }),
      status: t.field({ type: DisclosureStatus, resolve: (r) => r.status as never }),
      checkedOn: t.field({ type: 'Date', resolve: (r) => String(r.checked_on) }),
    }),
    inputFields: (t) => ({
      year: t.int({ required: true }),
      status: t.field({ type: DisclosureStatus, required: true }),
      checkedOn: t.field({ type: 'Date', required: true }),
    }),
  },
  {
    kind: 'complaint',
    typeName: 'VerifiedComplaint',
    description: 'A public, NGO or media report the bureau verified (social supervision).',
    connectionField: 'verifiedComplaints',
    mutation: 'recordVerifiedComplaint',
    fields: (t) => ({
      receivedOn: t.field({ type: 'Date', resolve: (r) => String(r.received_on) }),
      verifiedOn: t.field({ type: 'Date', resolve: (r) => String(r.verified_on) }),
      channel: t.field({ type: ComplaintChannel, resolve: (r) => r.channel as never }),
      substantiated: t.boolean({ description: 'The verification found the complaint true.', resolve: (r) => Boolean(r.substantiated) }),
      summary: t.string({ resolve: (r) => String(r.summary) }),
    }),
    inputFields: (t) => ({
      receivedOn: t.field({ type: 'Date', required: true }),
      verifiedOn: t.field({ type: 'Date', required: true }),
      channel: t.field({ type: ComplaintChannel, required: true }),
      substantiated: t.boolean({ required: true }),
      summary: t.string({ required: true }),
    }),
  },
  {
    kind: 'permitReport',
    typeName: 'PermitExecutionReport',
    description: 'A pollutant discharge permit execution report (排污许可证执行报告): due, submitted or not, complete or not.',
    connectionField: 'permitExecutionReports',
    mutation: 'recordPermitExecutionReport',
    fields: (t) => ({
      reportType: t.field({ type: PermitReportType, resolve: (r) => r.report_type as never }),
      periodEnd: t.field({ type: 'Date', resolve: (r) => String(r.period_end) }),
      dueOn: t.field({ type: 'Date', resolve: (r) => String(r.due_on) }),
      submittedOn: t.field({ type: 'Date', nullable: true, resolve: (r) => (r.submitted_on as string | null) ?? null }),
      complete: t.boolean({ resolve: (r) => Boolean(r.complete) }),
    }),
    inputFields: (t) => ({
      reportType: t.field({ type: PermitReportType, required: true }),
      periodEnd: t.field({ type: 'Date', required: true }),
      dueOn: t.field({ type: 'Date', required: true }),
      submittedOn: t.field({ type: 'Date', description: 'Empty when the report was never submitted.' }),
      complete: t.boolean({ required: true }),
    }),
  },
];

function loadEvidencePage(context: Context, kind: EvidenceKind, code: string, args: { first?: number | null; after?: string | null; includeHistory?: boolean | null }) {
  const page = readPage(args, context.config.maxPageSize, 'number');
  const includeHistory = args.includeHistory ?? false;
  const loader = requestLoader<string, Row[]>(context, `evidence:${kind}:${page.limit}:${page.after}:${includeHistory}`, async (codes) => {
    const byCode = await pageEvidenceByEnterprise(context.db, kind, codes, { page, includeHistory });
    return codes.map((c) => byCode.get(c) ?? []);
  });
  return loader.load(code).then((rows) => toConnection(rows, page, (row) => row.id));
}

for (const spec of KINDS) {
  const ref = builder.objectRef<Row>(spec.typeName).implement({
    description: spec.description,
    authScopes: (row) => bureauOrSelf(row),
    fields: (t) => ({ ...commonFields(t, spec.kind), ...spec.fields(t) }),
  });
  const connection = builder.connectionObject({ type: ref, name: `${spec.typeName}Connection` });

  builder.objectField(EnterpriseRef, spec.connectionField, (t) =>
    t.field({
      type: connection,
      description: `${spec.description} Newest first; by default only records that count (not superseded or withdrawn).`,
      authScopes: bureauOrSelf,
      args: {
        first: t.arg.int(),
        after: t.arg.string(),
        includeHistory: t.arg.boolean({ description: 'Also list superseded records and withdrawals.', defaultValue: false }),
      },
      resolve: (enterprise, args, context) => loadEvidencePage(context, spec.kind, enterprise.credit_code, args),
    }),
  );

  const input = builder.inputType(`${spec.mutation[0]!.toUpperCase()}${spec.mutation.slice(1)}Input`, {
    fields: (t) => ({ ...commonInputFields(t), ...spec.inputFields(t as never) }),
  });
  const payload = builder.objectRef<{ row: Row; created: boolean }>(`${spec.typeName}Payload`).implement({
    authScopes: { bureau: true },
    fields: (t) => ({
      record: t.field({ type: ref, resolve: (p) => ({ ...p.row, superseded_by_id: null }) }),
      created: t.exposeBoolean('created', { description: 'False when this exact record was already stored (idempotent replay).' }),
    }),
  });

  evidencePayloadRefs.set(spec.kind, payload);

  builder.mutationField(spec.mutation, (t) =>
    t.field({
      type: payload,
      description: `Records: ${spec.description}`,
      authScopes: { bureau: true },
      args: { input: t.arg({ type: input, required: true }) },
      resolve: async (_root, args, context) => {
        const fields = args.input as Input;
        const creditCode = requireCreditCode(fields.creditCode, 'input.creditCode');
        const supersedes = fields.supersedesId ? parseEvidenceRef(String(fields.supersedesId), 'input.supersedesId', spec.kind) : null;
        const rules = EVIDENCE_RULES[spec.kind];
        const check = checkProvenance(fields, new InputCheck('input', chinaDay(context.clock.now())))
          .require(Boolean(supersedes) === Boolean(fields.correctionReason?.trim()), 'correctionReason', 'is required with supersedesId, and only with it')
          .text(fields.correctionReason, 'correctionReason', { max: 2000 });
        rules.validate(fields, check);
        check.done();
        const stored = await recordEvidence(context.db, spec.kind, {
          creditCode,
          source: fields.source.trim(),
          sourceId: fields.sourceId.trim(),
          recordedBy: actorName(context.principal!),
          supersedesId: supersedes?.id ?? null,
          correctionReason: fields.correctionReason?.trim() || null,
          values: rules.toValues(fields),
        });
        for (const hook of evidenceRecordedHooks) await hook(context, spec.kind, stored.row as Row);
        return stored as { row: Row; created: boolean };
      },
    }),
  );
}

const WithdrawEvidenceInput = builder.inputType('WithdrawEvidenceInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The evidence id to withdraw, e.g. violation:42.' }),
    reason: t.string({ required: true, description: 'Why, e.g. the decision number of the review that annulled the penalty.' }),
    source: t.string({ required: true }),
    sourceId: t.string({ required: true }),
  }),
});

/** Exported for modules that add fields to it (the rating correction a withdrawal made). */
export const WithdrawEvidencePayload = builder.objectRef<{ id: string; created: boolean }>('WithdrawEvidencePayload').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    withdrawalId: t.exposeID('id', { description: 'Id of the withdrawal row (it supersedes the withdrawn record).' }),
    created: t.exposeBoolean('created'),
  }),
});

builder.mutationField('withdrawEvidence', (t) =>
  t.field({
    type: WithdrawEvidencePayload,
    description: 'Withdraws a record, e.g. a penalty annulled on review. The record and the withdrawal both stay in the history.',
    authScopes: { bureau: true },
    args: { input: t.arg({ type: WithdrawEvidenceInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { kind, id } = parseEvidenceRef(String(input.id), 'input.id');
      new InputCheck('input')
        .text(input.reason, 'reason', { max: 2000 })
        .text(input.source, 'source', { max: 100 })
        .text(input.sourceId, 'sourceId', { max: 200 })
        .done();
      const stored = await withdrawEvidence(context.db, kind, {
        id,
        reason: input.reason.trim(),
        source: input.source.trim(),
        sourceId: input.sourceId.trim(),
        recordedBy: actorName(context.principal!),
      });
      const withdrawalRef = evidenceRef(kind, Number(stored.row.id));
      // On a replay too: the hooks are idempotent, and a withdrawal sent again retries what failed after it was stored.
      const withdrawal = { kind, creditCode: String(stored.row.credit_code).trim(), withdrawnRef: evidenceRef(kind, id), withdrawalRef };
      for (const hook of evidenceWithdrawnHooks) await hook(context, withdrawal);
      return { id: withdrawalRef, created: stored.created };
    },
  }),
);
