import { actorName } from '../auth/principal.ts';
import { chinaDay } from '../china-day.ts';
import type { RegisterKind } from '../db/database.ts';
import { appError } from '../errors.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { bureauOrSelf, EnterpriseRef, loadEnterprise } from '../evidence/enterprise-schema.ts';
import { refsNotOf } from '../evidence/evidence-store.ts';
import { evidenceRef, parseEvidenceRef } from '../evidence/ids.ts';
import { InputCheck, requireCreditCode } from '../evidence/validate.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { readPage, toConnection } from '../graphql/pagination.ts';
import { findProposals, findRepairApplications, registerEntriesAt, registerHistory, type ProposalRow, type RegisterEntry, type RegisterEventRow, type RepairRow } from './read.ts';
import { applyForRepair, decideProposal, decideRepair, endLeadership, EVIDENCE_CORRECTED, EVIDENCE_WITHDRAWN, listLeader, listOnBlacklist, removeFromBlacklist, type NewRegisterEvent } from './store.ts';

/**
 * GraphQL for the blacklist and the leader register: public lists (no token), histories for the
 * bureau and the enterprise itself, proposals and decisions for bureau_admin, credit repair.
 */

export const MAX_EVIDENCE_IDS = 100;

function parseId(value: string | number, prefix: string, field: string): number {
  const match = new RegExp(`^(?:${prefix}:)?(\\d{1,15})$`).exec(String(value));
  if (!match) throw appError('VALIDATION_FAILED', `${field}: ${JSON.stringify(value)} is not a ${prefix} id`, { field, expected: `${prefix}:<number>` });
  return Number(match[1]);
}

const RegisterEnum = builder.enumType('Register', { values: ['BLACKLIST', 'LEADER'] as const });

const BlacklistEntryRef = builder.objectRef<RegisterEntry>('BlacklistEntry').implement({
  description: 'An enterprise on the environmental dishonesty blacklist (环保失信黑名单) at the instant asked.',
  authScopes: { public: true },
  fields: (t) => ({
    creditCode: t.exposeString('creditCode'),
    enterpriseName: t.string({ nullable: true, resolve: (e) => e.enterpriseName }),
    enterprise: t.field({ type: EnterpriseRef, nullable: true, resolve: (e, _a, ctx) => loadEnterprise(ctx, e.creditCode) }),
    causeCode: t.exposeString('causeCode', { description: 'The rule criterion (e.g. BL_SERIOUS_DISHONESTY) or the bureau’s cause code.' }),
    cause: t.exposeString('cause'),
    listedSince: t.field({ type: 'DateTime', resolve: (e) => e.listedSince }),
    earliestRemoval: t.field({ type: 'Date', nullable: true, description: 'First day credit repair may be applied for (the minimum term); a China day (UTC+8).', resolve: (e) => e.earliestRemoval }),
  }),
});

const LeaderEntryRef = builder.objectRef<RegisterEntry>('LeaderEntry').implement({
  description: 'An environmental leader (环保领跑者) at the instant asked.',
  authScopes: { public: true },
  fields: (t) => ({
    creditCode: t.exposeString('creditCode'),
    enterpriseName: t.string({ nullable: true, resolve: (e) => e.enterpriseName }),
    enterprise: t.field({ type: EnterpriseRef, nullable: true, resolve: (e, _a, ctx) => loadEnterprise(ctx, e.creditCode) }),
    causeCode: t.exposeString('causeCode'),
    cause: t.exposeString('cause'),
    listedSince: t.field({ type: 'DateTime', resolve: (e) => e.listedSince }),
    termEnd: t.field({ type: 'Date', nullable: true, description: 'First day the enterprise is no longer a leader unless extended; a China day (UTC+8): the term ends at its 00:00 Beijing.', resolve: (e) => e.termEnd }),
  }),
});

const BlacklistConnection = builder.connectionObject({ type: BlacklistEntryRef, name: 'BlacklistConnection' });
const LeaderConnection = builder.connectionObject({ type: LeaderEntryRef, name: 'LeaderConnection' });

function registerList(register: RegisterKind) {
  return async (_root: unknown, args: { asOf?: Date | null; first?: number | null; after?: string | null }, context: Context) => {
    const page = readPage(args, context.config.maxPageSize, 'string');
    const at = args.asOf ?? context.clock.now();
    return toConnection(await registerEntriesAt(context.db, register, at, page), page, (e) => e.creditCode);
  };
}

builder.queryField('blacklist', (t) =>
  t.field({
    type: BlacklistConnection,
    description: 'The public blacklist as of an instant (default now), in credit-code order.',
    authScopes: { public: true },
    args: { asOf: t.arg({ type: 'DateTime' }), first: t.arg.int({ description: 'Page size, 1 to MAX_PAGE_SIZE (default 20).' }), after: t.arg.string() },
    resolve: registerList('BLACKLIST'),
  }),
);

builder.queryField('leaders', (t) =>
  t.field({
    type: LeaderConnection,
    description: 'The public leader register as of an instant (default now), in credit-code order.',
    authScopes: { public: true },
    args: { asOf: t.arg({ type: 'DateTime' }), first: t.arg.int({ description: 'Page size, 1 to MAX_PAGE_SIZE (default 20).' }), after: t.arg.string() },
    resolve: registerList('LEADER'),
  }),
);

const RegisterEventRef = builder.objectRef<RegisterEventRow>('RegisterEvent').implement({
  description: 'One change to a register, never edited: LISTED, EXTENDED, REMOVED or (leaders) REVOKED.',
  authScopes: (e) => bureauOrSelf(e),
  fields: (t) => ({
    id: t.id({ resolve: (e) => `${e.register === 'BLACKLIST' ? 'blacklist-event' : 'leader-event'}:${e.id}` }),
    register: t.field({ type: RegisterEnum, resolve: (e) => e.register }),
    event: t.exposeString('event', { description: 'LISTED, EXTENDED, REMOVED or REVOKED.' }),
    causeCode: t.exposeString('cause_code'),
    cause: t.exposeString('cause'),
    evidenceIds: t.stringList({ resolve: (e) => e.evidence_ids }),
    ruleSetId: t.string({ nullable: true, resolve: (e) => e.rule_set_id }),
    ruleVersion: t.string({ nullable: true, resolve: (e) => e.rule_version }),
    ruleHash: t.string({ nullable: true, resolve: (e) => e.rule_hash }),
    sourceRatingId: t.id({ nullable: true, resolve: (e) => (e.source_rating_id ? `rating:${e.source_rating_id}` : null) }),
    proposalId: t.id({ nullable: true, resolve: (e) => (e.proposal_id ? `proposal:${e.proposal_id}` : null) }),
    repairApplicationId: t.id({ nullable: true, resolve: (e) => (e.repair_application_id ? `repair:${e.repair_application_id}` : null) }),
    decidedBy: t.exposeString('decided_by'),
    decidedAt: t.field({ type: 'DateTime', resolve: (e) => e.decided_at }),
    effectiveFrom: t.field({ type: 'DateTime', resolve: (e) => e.effective_from }),
    earliestRemoval: t.field({ type: 'Date', nullable: true, resolve: (e) => e.earliest_removal }),
    termEnd: t.field({ type: 'Date', nullable: true, resolve: (e) => e.term_end }),
  }),
});
const RegisterEventConnection = builder.connectionObject({ type: RegisterEventRef, name: 'RegisterEventConnection' });

const RepairApplicationRef = builder.objectRef<RepairRow>('CreditRepairApplication').implement({
  description: 'A credit repair (信用修复) application and the bureau’s decision.',
  authScopes: (a) => bureauOrSelf(a),
  fields: (t) => ({
    id: t.id({ resolve: (a) => `repair:${a.id}` }),
    creditCode: t.exposeString('credit_code'),
    statement: t.exposeString('statement'),
    evidenceIds: t.stringList({ resolve: (a) => a.evidence_ids }),
    appliedBy: t.exposeString('applied_by'),
    appliedAt: t.field({ type: 'DateTime', resolve: (a) => a.applied_at }),
    status: t.string({ description: 'OPEN, APPROVED or REJECTED.', resolve: (a) => a.decision ?? 'OPEN' }),
    decisionReason: t.string({ nullable: true, resolve: (a) => a.reason }),
    decidedBy: t.string({ nullable: true, resolve: (a) => a.decided_by }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.decided_at }),
  }),
});
const RepairApplicationConnection = builder.connectionObject({ type: RepairApplicationRef, name: 'CreditRepairApplicationConnection' });

const ProposalRef = builder.objectRef<ProposalRow>('RegisterProposal').implement({
  description: 'A register change a rating proposed. Automatic ones were applied at once; the others wait for a bureau_admin.',
  authScopes: { bureau: true },
  fields: (t) => ({
    id: t.id({ resolve: (p) => `proposal:${p.id}` }),
    register: t.field({ type: RegisterEnum, resolve: (p) => p.register }),
    action: t.exposeString('action', { description: 'LIST or REVOKE.' }),
    creditCode: t.exposeString('credit_code'),
    enterprise: t.field({ type: EnterpriseRef, nullable: true, resolve: (p, _a, ctx) => loadEnterprise(ctx, p.credit_code) }),
    causeCode: t.exposeString('cause_code'),
    cause: t.exposeString('cause'),
    evidenceIds: t.stringList({ resolve: (p) => p.evidence_ids }),
    ruleSetId: t.exposeString('rule_set_id'),
    ruleVersion: t.exposeString('rule_version'),
    ratingId: t.id({ resolve: (p) => `rating:${p.rating_id}` }),
    termMonths: t.int({ nullable: true, resolve: (p) => p.term_months }),
    automatic: t.exposeBoolean('automatic'),
    proposedAt: t.field({ type: 'DateTime', resolve: (p) => p.proposed_at }),
    status: t.string({ description: 'APPLIED (automatic), PENDING, CONFIRMED or DISMISSED.', resolve: (p) => p.decision ?? (p.automatic ? 'APPLIED' : 'PENDING') }),
    decisionReason: t.string({ nullable: true, resolve: (p) => p.reason }),
    decidedBy: t.string({ nullable: true, resolve: (p) => p.decided_by }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.decided_at }),
  }),
});
const ProposalConnection = builder.connectionObject({ type: ProposalRef, name: 'RegisterProposalConnection' });

const historyField = (register: RegisterKind, description: string) =>
  ((t: any) =>
    t.field({
      type: RegisterEventConnection,
      description,
      authScopes: bureauOrSelf,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (e: { credit_code: string }, args: { first?: number | null; after?: string | null }, ctx: Context) => {
        const page = readPage(args, ctx.config.maxPageSize, 'number');
        return toConnection(await registerHistory(ctx.db, register, e.credit_code, page), page, (row) => row.id);
      },
    })) as never;

builder.objectField(EnterpriseRef, 'blacklistHistory', historyField('BLACKLIST', 'Every blacklist event of the enterprise, oldest first.'));
builder.objectField(EnterpriseRef, 'leaderHistory', historyField('LEADER', 'Every leader register event of the enterprise, oldest first.'));
builder.objectField(EnterpriseRef, 'creditRepairApplications', (t) =>
  t.field({
    type: RepairApplicationConnection,
    description: 'Credit repair applications of the enterprise and their decisions, oldest first.',
    authScopes: bureauOrSelf,
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (e, args, ctx) => {
      const page = readPage(args, ctx.config.maxPageSize, 'number');
      return toConnection(await findRepairApplications(ctx.db, { creditCode: e.credit_code }, page), page, (row) => row.id);
    },
  }),
);

builder.queryField('registerProposals', (t) =>
  t.field({
    type: ProposalConnection,
    description: 'Register proposals from ratings, oldest first; pendingOnly lists those waiting for a bureau_admin.',
    authScopes: { bureau: true },
    args: { creditCode: t.arg.string(), pendingOnly: t.arg.boolean(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'number');
      const creditCode = args.creditCode ? requireCreditCode(args.creditCode, 'creditCode') : undefined;
      const rows = await findProposals(context.db, { ...(creditCode ? { creditCode } : {}), pendingOnly: args.pendingOnly ?? false }, page);
      return toConnection(rows, page, (row) => row.id);
    },
  }),
);

function readEvidenceIds(check: InputCheck, ids: readonly string[] | null | undefined, name = 'evidenceIds'): string[] {
  const list = (ids ?? []).map((id) => id.trim());
  check.require(list.length <= MAX_EVIDENCE_IDS, name, `at most ${MAX_EVIDENCE_IDS}`);
  list.forEach((id, i) => check.text(id, `${name}[${i}]`, { max: 200 }));
  return [...new Set(list)];
}

/** `violation:12` names an evidence record; anything else (`doc:report-1`) is a document reference. */
const namesEvidenceRecord = (id: string): boolean => {
  const kind = /^([a-zA-Z]+):/.exec(id)?.[1];
  return kind !== undefined && Object.hasOwn(EVIDENCE_TABLES, kind);
};

/**
 * Refuses evidence ids that name no record of this enterprise (an id no record has, or another
 * enterprise's record), as fileObjection does: a register event rests on its records, and their
 * withdrawal lifts the listing, so a mistyped id would tie the listing to someone else's penalty.
 */
async function refuseEvidenceNotOf(context: Context, creditCode: string, ids: readonly string[] | null | undefined): Promise<void> {
  const cited = (ids ?? [])
    .map((id, index) => ({ id: id.trim(), field: `input.evidenceIds[${index}]` }))
    .filter(({ id }) => namesEvidenceRecord(id))
    .map(({ id, field }) => ({ field, ...parseEvidenceRef(id, field) }));
  const foreign = new Set(await refsNotOf(context.db, creditCode, cited));
  const first = cited.find((ref) => foreign.has(evidenceRef(ref.kind, ref.id)));
  if (!first) return;
  throw appError('VALIDATION_FAILED', `input.evidenceIds: ${[...foreign].join(', ')} ${foreign.size === 1 ? 'is not a record' : 'are not records'} of ${creditCode}`, {
    field: first.field,
    expected: `ids of ${creditCode}'s own evidence records, or document references`,
  });
}

const DecideProposalInput = builder.inputType('DecideRegisterProposalInput', {
  fields: (t) => ({
    proposalId: t.id({ required: true }),
    confirm: t.boolean({ required: true, description: 'True lists (or revokes) now; false dismisses.' }),
    reason: t.string({ required: true }),
  }),
});

builder.mutationField('decideRegisterProposal', (t) =>
  t.field({
    type: ProposalRef,
    description: 'A bureau_admin confirms or dismisses a pending register proposal.',
    authScopes: { bureauAdmin: true },
    args: { input: t.arg({ type: DecideProposalInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const proposalId = parseId(input.proposalId, 'proposal', 'input.proposalId');
      new InputCheck('input').text(input.reason, 'reason', { max: 10_000 }).done();
      await decideProposal(context.db, { proposalId, confirm: input.confirm, reason: input.reason.trim(), decidedBy: actorName(context.principal!) }, context.clock.now());
      return (await findProposals(context.db, { id: proposalId }, { limit: 1, after: null }))[0]!;
    },
  }),
);

const BlacklistAction = builder.enumType('BlacklistAction', { values: ['LIST', 'REMOVE'] as const });
const LeaderAction = builder.enumType('LeaderRegisterAction', { values: ['LIST', 'REMOVE', 'REVOKE'] as const });

const RegisterDecisionFields = {
  creditCode: { required: true },
  causeCode: { required: true, description: 'A rule criterion id (its minimum term applies) or the bureau’s own code.' },
  cause: { required: true },
} as const;

const BlacklistDecisionInput = builder.inputType('BlacklistDecisionInput', {
  fields: (t) => ({
    creditCode: t.string(RegisterDecisionFields.creditCode),
    action: t.field({ type: BlacklistAction, required: true }),
    causeCode: t.string(RegisterDecisionFields.causeCode),
    cause: t.string(RegisterDecisionFields.cause),
    evidenceIds: t.stringList({ description: 'Evidence ids (violation:12) or document references.' }),
    minimumMonths: t.int({ description: 'LIST: the minimum term; default the rule criterion’s minimum_months for causeCode.' }),
  }),
});

const LeaderDecisionInput = builder.inputType('LeaderDecisionInput', {
  fields: (t) => ({
    creditCode: t.string(RegisterDecisionFields.creditCode),
    action: t.field({ type: LeaderAction, required: true }),
    causeCode: t.string(RegisterDecisionFields.causeCode),
    cause: t.string(RegisterDecisionFields.cause),
    evidenceIds: t.stringList(),
    termMonths: t.int({ description: 'LIST: the term; default the rule file’s leader term_months.' }),
  }),
});

/** The rule version in force on the decision's day, a China day like every register date. */
function currentRules(context: Context) {
  return context.rules.effectiveOn(context.config.defaultRuleSetId, chinaDay(context.clock.now()));
}

/**
 * Cause codes only the service writes: registers read them (a listing lifted for withdrawn or
 * corrected evidence does not count for "one offence lists once"), so a decision may not borrow them.
 */
const SERVICE_CAUSE_CODES: readonly string[] = [EVIDENCE_WITHDRAWN, EVIDENCE_CORRECTED];

async function readDecision(context: Context, input: { creditCode: string; causeCode: string; cause: string; evidenceIds?: readonly string[] | null }): Promise<NewRegisterEvent> {
  const creditCode = requireCreditCode(input.creditCode, 'input.creditCode');
  const check = new InputCheck('input')
    .text(input.causeCode, 'causeCode', { max: 100 })
    .require(!SERVICE_CAUSE_CODES.includes(input.causeCode.trim()), 'causeCode', `not one the service writes itself (${SERVICE_CAUSE_CODES.join(', ')})`)
    .text(input.cause, 'cause', { max: 2000 });
  const evidenceIds = readEvidenceIds(check, input.evidenceIds);
  check.done();
  if (!(await loadEnterprise(context, creditCode))) throw appError('NOT_FOUND', `enterprise ${creditCode} not found`, { field: 'input.creditCode' });
  await refuseEvidenceNotOf(context, creditCode, input.evidenceIds);
  const now = context.clock.now();
  return { creditCode, causeCode: input.causeCode.trim(), cause: input.cause.trim(), evidenceIds, decidedBy: actorName(context.principal!), decidedAt: now, effectiveFrom: now };
}

const historyPage = async (context: Context, register: RegisterKind, code: string) => {
  const rows = await registerHistory(context.db, register, code, { limit: context.config.maxPageSize, after: null });
  return rows.slice(0, context.config.maxPageSize);
};

builder.mutationField('decideBlacklist', (t) =>
  t.field({
    type: [RegisterEventRef],
    description: 'A bureau_admin lists an enterprise on the blacklist or removes it, with cause and evidence. Returns the enterprise’s blacklist history (first page).',
    authScopes: { bureauAdmin: true },
    args: { input: t.arg({ type: BlacklistDecisionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const event = await readDecision(context, input);
      if (input.action === 'LIST') {
        const criterion = currentRules(context)?.file.blacklist.criteria.find((c) => c.id === event.causeCode);
        const months = input.minimumMonths ?? criterion?.minimum_months;
        if (months === undefined || months === null || !Number.isInteger(months) || months < 0 || months > 120) {
          throw appError('VALIDATION_FAILED', `input.minimumMonths: give 0 to 120 months (${event.causeCode} is not a blacklist criterion of the rules in force)`, { field: 'input.minimumMonths', expected: 'an integer from 0 to 120' });
        }
        await context.db.transaction().execute((trx) => listOnBlacklist(trx, event, months));
      } else {
        await context.db.transaction().execute((trx) => removeFromBlacklist(trx, event));
      }
      return historyPage(context, 'BLACKLIST', event.creditCode);
    },
  }),
);

builder.mutationField('decideLeader', (t) =>
  t.field({
    type: [RegisterEventRef],
    description: 'A bureau_admin lists a leader, removes one or revokes one, with cause and evidence. Returns the enterprise’s leader history (first page).',
    authScopes: { bureauAdmin: true },
    args: { input: t.arg({ type: LeaderDecisionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const event = await readDecision(context, input);
      if (input.action === 'LIST') {
        const months = input.termMonths ?? currentRules(context)?.file.leader.term_months;
        if (months === undefined || months === null || !Number.isInteger(months) || months < 1 || months > 120) {
          throw appError('VALIDATION_FAILED', 'input.termMonths: give 1 to 120 months', { field: 'input.termMonths', expected: 'an integer from 1 to 120' });
        }
        await context.db.transaction().execute((trx) => listLeader(trx, event, months));
      } else {
        const ended = await context.db.transaction().execute((trx) => endLeadership(trx, event, input.action === 'REVOKE' ? 'REVOKED' : 'REMOVED'));
        if (ended === null) throw appError('CONFLICT', `${event.creditCode} is not a leader`, { field: 'input.creditCode' });
      }
      return historyPage(context, 'LEADER', event.creditCode);
    },
  }),
);

const ApplyRepairInput = builder.inputType('ApplyForCreditRepairInput', {
  fields: (t) => ({
    creditCode: t.string({ required: true }),
    statement: t.string({ required: true, description: 'How the enterprise rectified (整改情况).' }),
    evidenceIds: t.stringList({ description: 'Rectification evidence: evidence ids or document references.' }),
  }),
});

builder.mutationField('applyForCreditRepair', (t) =>
  t.field({
    type: RepairApplicationRef,
    description:
      'The enterprise (its own code) or a bureau officer on its behalf applies for credit repair once the minimum term has passed; earlier is refused with REPAIR_NOT_YET_POSSIBLE and earliestDate.',
    authScopes: (_root, args) => ({ bureau: true, enterpriseSelf: requireCreditCode(args.input.creditCode, 'input.creditCode') }),
    args: { input: t.arg({ type: ApplyRepairInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const creditCode = requireCreditCode(input.creditCode, 'input.creditCode');
      const check = new InputCheck('input').text(input.statement, 'statement', { max: 10_000 });
      const evidenceIds = readEvidenceIds(check, input.evidenceIds);
      check.done();
      await refuseEvidenceNotOf(context, creditCode, input.evidenceIds);
      const id = await applyForRepair(context.db, { creditCode, statement: input.statement.trim(), evidenceIds, appliedBy: actorName(context.principal!) }, context.clock.now());
      return (await findRepairApplications(context.db, { id }, { limit: 1, after: null }))[0]!;
    },
  }),
);

const DecideRepairInput = builder.inputType('DecideCreditRepairInput', {
  fields: (t) => ({
    applicationId: t.id({ required: true }),
    approve: t.boolean({ required: true, description: 'True removes the enterprise from the blacklist now.' }),
    reason: t.string({ required: true }),
  }),
});

builder.mutationField('decideCreditRepair', (t) =>
  t.field({
    type: RepairApplicationRef,
    description: 'A bureau_admin approves a credit repair (a REMOVED event citing it) or rejects it with a reason.',
    authScopes: { bureauAdmin: true },
    args: { input: t.arg({ type: DecideRepairInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const applicationId = parseId(input.applicationId, 'repair', 'input.applicationId');
      new InputCheck('input').text(input.reason, 'reason', { max: 10_000 }).done();
      await decideRepair(context.db, { applicationId, approve: input.approve, reason: input.reason.trim(), decidedBy: actorName(context.principal!) }, context.clock.now());
      return (await findRepairApplications(context.db, { id: applicationId }, { limit: 1, after: null }))[0]!;
    },
  }),
);
