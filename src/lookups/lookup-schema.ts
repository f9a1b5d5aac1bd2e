import { actorName, institutionOf, type Institution } from '../auth/principal.ts';
import { appError } from '../errors.ts';
import { InputCheck, requireCreditCode } from '../evidence/validate.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { encodeCursor, decodeCursor, pageSize, readPage, toConnection } from '../graphql/pagination.ts';
import { CheckPurpose, CreditLevel, Verdict } from '../rules/rules-schema.ts';
import type { Purpose } from '../rules/types.ts';
import { assertPurposeAllowed, checkCodes, PURPOSE_OF_ROLE, type CreditCheckResult } from './check.ts';
import { logInquiries, searchInquiries, type InquiryRow } from './inquiry-store.ts';
import { changesAfter, encodeChangeKey, LEADER_TERM_END_SOURCE, parseChangeKey, recordEndedLeaderTerms, unwatchCodes, watchCodes, watchCount, watchedCodes, type ChangeRow } from './watch-store.ts';

/*
 * Lookups for banks, finance departments and insurers (docs/LOOKUPS.md). Reachable by bureau roles
 * and institutions; which purpose an institution may ask about is checked on every request.
 */

const CheckReasonRef = builder.objectRef<{ code: string; message: string }>('CheckReason').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

const CheckErrorRef = builder.objectRef<NonNullable<CreditCheckResult['error']>>('CheckError').implement({
  description: 'Why one entry of a batch could not be checked; the rest of the batch is unaffected.',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'INVALID_CREDIT_CODE.' }),
    message: t.exposeString('message', { description: 'Names the position in the input and the code as given.' }),
    field: t.exposeString('field', { description: 'The input path, e.g. creditCodes[17].' }),
  }),
});

export const CreditCheckRef = builder.objectRef<CreditCheckResult>('CreditCheck').implement({
  description:
    'The answer for one enterprise: level and register standing at asOf, and the verdict of the rule version that rated it ' +
    '(or of the default rule set in force at asOf when it was never rated) for the purpose asked.',
  fields: (t) => ({
    creditCode: t.exposeString('creditCode', { description: 'The normalised code (trimmed, upper case); the input as given when it is not a valid code.' }),
    enterpriseName: t.exposeString('enterpriseName', { nullable: true }),
    rated: t.exposeBoolean('rated', { description: 'False when no rating was in effect at asOf (never rated, or not a registered enterprise).' }),
    level: t.field({ type: CreditLevel, nullable: true, resolve: (c) => c.level }),
    score: t.exposeFloat('score', { nullable: true }),
    blacklisted: t.exposeBoolean('blacklisted'),
    leader: t.exposeBoolean('leader'),
    verdict: t.field({
      type: Verdict,
      description: 'From the rule file’s lookup policy; PROHIBITED for an entry that is not a valid credit code (see error).',
      resolve: (c) => c.verdict,
    }),
    premiumMultiplier: t.exposeFloat('premiumMultiplier', { nullable: true, description: 'Set for INSURANCE: the factor on the base premium.' }),
    reasons: t.field({ type: [CheckReasonRef], resolve: (c) => c.reasons }),
    ruleSetId: t.exposeString('ruleSetId', { nullable: true }),
    ruleSetVersion: t.exposeString('ruleSetVersion', { nullable: true }),
    period: t.exposeString('period', { nullable: true, description: 'The evaluation period of the effective rating.' }),
    asOf: t.field({ type: 'DateTime', resolve: (c) => c.asOf }),
    // additions to the pinned contract
    purpose: t.field({ type: CheckPurpose, resolve: (c) => c.purpose }),
    inputIndex: t.exposeInt('inputIndex', { description: 'Position of this entry in the creditCodes given (0-based); answers keep input order.' }),
    input: t.exposeString('input', { description: 'The code exactly as given.' }),
    valid: t.exposeBoolean('valid', { description: 'False when the input is not a valid unified social credit code; error says why.' }),
    error: t.field({ type: CheckErrorRef, nullable: true, resolve: (c) => c.error }),
    registered: t.exposeBoolean('registered', { description: 'The code belongs to an enterprise registered with the bureau.' }),
    ratedSince: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.ratedSince, description: 'When the effective rating took effect.' }),
    blacklistedSince: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.blacklistedSince }),
    earliestRemoval: t.field({ type: 'Date', nullable: true, resolve: (c) => c.earliestRemoval, description: 'First day credit repair may be applied for; a China day (UTC+8).' }),
    leaderTermEnd: t.field({ type: 'Date', nullable: true, resolve: (c) => c.leaderTermEnd, description: 'First day the enterprise is no longer a leader; a China day (UTC+8): the term ends at its 00:00 Beijing.' }),
  }),
});

/** asOf as given, or now; an instant in the future is refused (nothing is known about it yet). */
function readAsOf(context: Context, asOf: Date | null | undefined): Date {
  const now = context.clock.now();
  if (!asOf) return now;
  if (asOf.getTime() > now.getTime()) {
    throw appError('VALIDATION_FAILED', `asOf: ${asOf.toISOString()} is in the future`, { field: 'asOf', expected: `an instant not after ${now.toISOString()}` });
  }
  return asOf;
}

/** The institution asking and its user, as the inquiry log records them; null for bureau roles, whose checks are not logged. */
function inquirer(context: Context): (Institution & { subject: string }) | null {
  const institution = context.principal && institutionOf(context.principal);
  return institution ? { ...institution, subject: context.principal!.subject } : null;
}

async function runChecks(context: Context, codes: readonly string[], purpose: Purpose, asOf: Date, batch: boolean, field: (i: number) => string) {
  const results = await checkCodes(context, codes, purpose, asOf, field);
  const asker = inquirer(context);
  if (asker) await logInquiries(context.db, asker, results, { batch, requestId: context.requestId, askedAt: context.clock.now() });
  return results;
}

builder.queryField('creditCheck', (t) =>
  t.field({
    type: CreditCheckRef,
    description: 'One enterprise’s verdict for a purpose: bank → LOAN, finance → FISCAL_FUND, insurer → INSURANCE, bureau roles → any. Logged for institutions.',
    authScopes: { bureau: true, institution: true },
    args: {
      creditCode: t.arg.string({ required: true }),
      purpose: t.arg({ type: CheckPurpose, required: true }),
      asOf: t.arg({ type: 'DateTime', description: 'Answer as the registers and effective ratings stood at this instant; default now.' }),
    },
    resolve: async (_root, args, context) => {
      assertPurposeAllowed(context.principal, args.purpose);
      const code = requireCreditCode(args.creditCode, 'creditCode');
      const asOf = readAsOf(context, args.asOf);
      return (await runChecks(context, [code], args.purpose, asOf, false, () => 'creditCode'))[0]!;
    },
  }),
);

builder.queryField('creditChecks', (t) =>
  t.field({
    type: [CreditCheckRef],
    description:
      'Many enterprises at once (up to MAX_BATCH_CODES, default 10,000), answered in input order, one entry per input. ' +
      'A malformed code never fails the batch: its entry has valid: false, error { code: INVALID_CREDIT_CODE }, verdict PROHIBITED.',
    authScopes: { bureau: true, institution: true },
    args: {
      creditCodes: t.arg.stringList({ required: true }),
      purpose: t.arg({ type: CheckPurpose, required: true }),
      asOf: t.arg({ type: 'DateTime' }),
    },
    resolve: async (_root, args, context) => {
      assertPurposeAllowed(context.principal, args.purpose);
      const max = context.config.maxBatchCodes;
      if (args.creditCodes.length > max) {
        throw appError('VALIDATION_FAILED', `creditCodes: ${args.creditCodes.length} codes given; at most ${max} per request`, {
          field: 'creditCodes',
          expected: `at most ${max} codes (MAX_BATCH_CODES); split the list`,
          max,
          received: args.creditCodes.length,
        });
      }
      const asOf = readAsOf(context, args.asOf);
      return runChecks(context, args.creditCodes, args.purpose, asOf, true, (i) => `creditCodes[${i}]`);
    },
  }),
);

// --- the inquiry log -------------------------------------------------------------------------

const CreditInquiryRef = builder.objectRef<InquiryRow>('CreditInquiry').implement({
  description: 'One check of one enterprise by an institution.',
  fields: (t) => ({
    id: t.id({ resolve: (r) => `inquiry:${r.id}` }),
    institution: t.exposeString('institution_org', { description: 'The institution (token org) that checked.' }),
    institutionRole: t.exposeString('institution_role', { description: 'bank, finance or insurer.' }),
    subject: t.exposeString('subject', { authScopes: { bureau: true }, description: 'The institution’s user (token subject); bureau only.' }),
    purpose: t.field({ type: CheckPurpose, resolve: (r) => r.purpose }),
    creditCode: t.exposeString('credit_code'),
    asOf: t.field({ type: 'DateTime', resolve: (r) => r.as_of }),
    verdict: t.field({ type: Verdict, resolve: (r) => r.verdict as never }),
    rated: t.exposeBoolean('rated'),
    level: t.field({ type: CreditLevel, nullable: true, resolve: (r) => r.level as never }),
    batch: t.exposeBoolean('batch', { description: 'Part of a creditChecks batch, or handed out by watchChanges (asOf is the change’s instant).' }),
    askedAt: t.field({ type: 'DateTime', resolve: (r) => r.asked_at }),
  }),
});
const CreditInquiryConnection = builder.connectionObject({ type: CreditInquiryRef, name: 'CreditInquiryConnection' });

builder.queryField('creditInquiries', (t) =>
  t.field({
    type: CreditInquiryConnection,
    description: 'The inquiry log, newest first. Bureau roles see every institution’s; an institution sees only its own.',
    authScopes: { bureau: true, institution: true },
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      creditCode: t.arg.string(),
      institution: t.arg.string({ description: 'Bureau only: one institution (token org).' }),
      purpose: t.arg({ type: CheckPurpose }),
      askedFrom: t.arg({ type: 'DateTime' }),
      askedTo: t.arg({ type: 'DateTime', description: 'Exclusive.' }),
    },
    resolve: async (_root, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'number');
      const principal = context.principal!;
      // An institution sees only what it asked itself: its role and org, never another role's under the same org.
      const own = institutionOf(principal);
      if (own && args.institution && args.institution !== own.org) {
        throw appError('FORBIDDEN', `${principal.role} sees only its own inquiries (institution ${own.org})`, { field: 'institution' });
      }
      const rows = await searchInquiries(
        context.db,
        {
          creditCode: args.creditCode ? requireCreditCode(args.creditCode, 'creditCode') : null,
          institutionRole: own?.role ?? null,
          institutionOrg: own ? own.org : (args.institution ?? null),
          purpose: args.purpose ?? null,
          askedFrom: args.askedFrom ?? null,
          askedTo: args.askedTo ?? null,
        },
        page,
      );
      return toConnection(rows, page, (r) => r.id);
    },
  }),
);

builder.queryField('myInquiries', (t) =>
  t.field({
    type: CreditInquiryConnection,
    description: 'For the enterprise role: which institutions checked this enterprise, for what and with what answer, newest first.',
    authScopes: (_root, _args, context) => (context.principal?.role === 'enterprise' && context.principal.creditCode ? { enterpriseSelf: context.principal.creditCode } : false),
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'number');
      const rows = await searchInquiries(context.db, { creditCode: context.principal!.creditCode! }, page);
      return toConnection(rows, page, (r) => r.id);
    },
  }),
);

// --- portfolio monitoring ----------------------------------------------------------------------

/** The institution (role and org) whose watch list this is; bureau roles and enterprises have none. */
function watcher(context: Context): { institution: Institution; purpose: Purpose } {
  const principal = context.principal!;
  const institution = institutionOf(principal);
  const purpose = PURPOSE_OF_ROLE[principal.role];
  if (!institution || !purpose) throw appError('FORBIDDEN', `${principal.role} has no watch list`);
  return { institution, purpose };
}

function readCodes(context: Context, codes: readonly string[]): string[] {
  const max = context.config.maxBatchCodes;
  if (codes.length > max) {
    throw appError('VALIDATION_FAILED', `creditCodes: ${codes.length} codes given; at most ${max} per request`, { field: 'creditCodes', expected: `at most ${max} codes`, max, received: codes.length });
  }
  const check = new InputCheck('');
  const valid: string[] = [];
  codes.forEach((code, i) => {
    const result = checkCreditCode(code);
    if (result.valid) valid.push(result.code);
    else check.require(false, `creditCodes[${i}]`, `${JSON.stringify(code)} is not a valid unified social credit code: ${result.message}`);
  });
  if (check.problems.length > 0) {
    const first = check.problems[0]!;
    throw appError('INVALID_CREDIT_CODE', `${check.problems.length} invalid credit code(s): ${check.problems.map((p) => `${p.field}: ${p.message}`).slice(0, 20).join('; ')}`, {
      field: first.field,
      problems: check.problems,
    });
  }
  return valid;
}

const WatchResultRef = builder.objectRef<{ changed: number; watching: number }>('WatchResult').implement({
  fields: (t) => ({
    changed: t.exposeInt('changed', { description: 'Codes added (watch) or removed (unwatch); codes already in that state are not counted.' }),
    watching: t.exposeInt('watching', { description: 'Codes on the watch list now.' }),
  }),
});

builder.mutationField('watch', (t) =>
  t.field({
    type: WatchResultRef,
    description:
      'Adds credit codes to the institution’s watch list (all or nothing: one invalid code refuses the call, naming each; ' +
      'so does a list that would exceed MAX_WATCHED_CODES, default 100,000).',
    authScopes: { institution: true },
    args: { creditCodes: t.arg.stringList({ required: true }) },
    resolve: async (_root, args, context) => {
      const { institution } = watcher(context);
      const codes = readCodes(context, args.creditCodes);
      const changed = await watchCodes(context.db, institution, codes, actorName(context.principal!), context.config.maxWatchedCodes);
      return { changed, watching: await watchCount(context.db, institution) };
    },
  }),
);

builder.mutationField('unwatch', (t) =>
  t.field({
    type: WatchResultRef,
    authScopes: { institution: true },
    args: { creditCodes: t.arg.stringList({ required: true }) },
    resolve: async (_root, args, context) => {
      const { institution } = watcher(context);
      const changed = await unwatchCodes(context.db, institution, readCodes(context, args.creditCodes));
      return { changed, watching: await watchCount(context.db, institution) };
    },
  }),
);

const WatchedCodeRef = builder.objectRef<{ credit_code: string; watched_at: Date; watched_by: string }>('WatchedCode').implement({
  fields: (t) => ({
    creditCode: t.exposeString('credit_code'),
    watchedAt: t.field({ type: 'DateTime', resolve: (w) => w.watched_at }),
    watchedBy: t.exposeString('watched_by'),
  }),
});
const WatchedCodeConnection = builder.connectionObject({ type: WatchedCodeRef, name: 'WatchedCodeConnection' });

builder.queryField('watchList', (t) =>
  t.field({
    type: WatchedCodeConnection,
    description: 'The institution’s watched codes, by code.',
    authScopes: { institution: true },
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, context) => {
      const { institution } = watcher(context);
      const page = readPage(args, context.config.maxPageSize, 'string');
      return toConnection(await watchedCodes(context.db, institution, page.limit, page.after), page, (w) => w.credit_code);
    },
  }),
);

const WatchChangeKind = builder.enumType('WatchChangeKind', {
  values: {
    RATING: { description: 'A new rating took effect (publication or dynamic adjustment).' },
    LEVEL: { description: 'The effective level changed.' },
    SCORE: { description: 'The effective score changed.' },
    VERDICT: { description: 'The verdict for the institution’s purpose changed.' },
    BLACKLIST: { description: 'Listed on or removed from the blacklist.' },
    LEADER: { description: 'Listed as or no longer a leader.' },
    REGISTER: { description: 'A register event (listing, extension, removal) took effect.' },
  } as const,
});
type ChangeKind = 'RATING' | 'LEVEL' | 'SCORE' | 'VERDICT' | 'BLACKLIST' | 'LEADER' | 'REGISTER';

interface WatchChange {
  row: ChangeRow;
  before: CreditCheckResult;
  after: CreditCheckResult;
  changes: ChangeKind[];
}

const SOURCE_NAMES: Record<string, string> = { rating_effects: 'RATING_EFFECT', blacklist_events: 'BLACKLIST_EVENT', leader_events: 'LEADER_EVENT', [LEADER_TERM_END_SOURCE]: 'LEADER_TERM_END' };

const WatchChangeRef = builder.objectRef<WatchChange>('WatchChange').implement({
  description: 'A change to what a lookup answers for a watched code: the check just before it took effect and at that instant.',
  fields: (t) => ({
    id: t.id({ resolve: (c) => `change:${c.row.id}` }),
    creditCode: t.string({ resolve: (c) => c.row.credit_code }),
    enterpriseName: t.string({ nullable: true, resolve: (c) => c.after.enterpriseName }),
    source: t.string({ description: 'RATING_EFFECT, BLACKLIST_EVENT, LEADER_EVENT, or LEADER_TERM_END (a leader term that ended by itself, on its term end day).', resolve: (c) => SOURCE_NAMES[c.row.source_table] ?? c.row.source_table }),
    effectiveAt: t.field({ type: 'DateTime', resolve: (c) => c.row.effective_at }),
    recordedAt: t.field({ type: 'DateTime', resolve: (c) => c.row.recorded_at }),
    changes: t.field({ type: [WatchChangeKind], description: 'What differs between before and after.', resolve: (c) => c.changes }),
    before: t.field({ type: CreditCheckRef, description: 'The check for the institution’s purpose one millisecond before effectiveAt.', resolve: (c) => c.before }),
    after: t.field({ type: CreditCheckRef, description: 'The check at effectiveAt.', resolve: (c) => c.after }),
  }),
});
const WatchChangeConnection = builder.connectionObject({ type: WatchChangeRef, name: 'WatchChangeConnection' });

/** Before/after checks for a page of changes: two batch checks per distinct instant. */
async function describeChanges(context: Context, rows: ChangeRow[], purpose: Purpose): Promise<WatchChange[]> {
  const byInstant = new Map<number, ChangeRow[]>();
  for (const row of rows) {
    const at = new Date(row.effective_at).getTime();
    byInstant.set(at, [...(byInstant.get(at) ?? []), row]);
  }
  const found = new Map<number, { before: CreditCheckResult; after: CreditCheckResult }>();
  for (const [at, group] of byInstant) {
    const codes = [...new Set(group.map((r) => r.credit_code))];
    const field = (i: number) => `creditCodes[${i}]`;
    const [before, after] = await Promise.all([checkCodes(context, codes, purpose, new Date(at - 1), field), checkCodes(context, codes, purpose, new Date(at), field)]);
    const index = new Map(codes.map((code, i) => [code, i]));
    for (const row of group) {
      const i = index.get(row.credit_code)!;
      found.set(row.id, { before: before[i]!, after: after[i]! });
    }
  }
  return rows.map((row) => {
    const { before, after } = found.get(row.id)!;
    const changes: ChangeKind[] = [];
    if (row.source_table === 'rating_effects') changes.push('RATING');
    else changes.push('REGISTER');
    if (before.level !== after.level) changes.push('LEVEL');
    if (before.score !== after.score) changes.push('SCORE');
    if (before.verdict !== after.verdict) changes.push('VERDICT');
    if (before.blacklisted !== after.blacklisted) changes.push('BLACKLIST');
    if (before.leader !== after.leader) changes.push('LEADER');
    return { row, before, after, changes };
  });
}

/**
 * Each change handed out tells the institution a verdict at its instant: logged like a batch check,
 * one inquiry per code and instant, so the enterprise sees in myInquiries who follows it. The
 * verdict just before the change is not logged again: it is what the institution was last told.
 */
async function logDeliveredChanges(context: Context, institution: Institution, changes: readonly WatchChange[]): Promise<void> {
  const asker = { ...institution, subject: context.principal!.subject };
  const byInstant = new Map<number, CreditCheckResult[]>();
  for (const { after } of changes) byInstant.set(after.asOf.getTime(), [...(byInstant.get(after.asOf.getTime()) ?? []), after]);
  for (const results of byInstant.values()) {
    await logInquiries(context.db, asker, results, { batch: true, requestId: context.requestId, askedAt: context.clock.now() });
  }
}

builder.queryField('watchChanges', (t) =>
  t.field({
    type: WatchChangeConnection,
    description:
      'Changes to the institution’s watched codes (ratings taking effect, blacklist and leader events, leader terms ending), oldest first. ' +
      'Pass the last endCursor as after: each change is handed out once, none is skipped. An empty page keeps the cursor where it was.',
    authScopes: { institution: true },
    args: { after: t.arg.string(), first: t.arg.int() },
    resolve: async (_root, args, context) => {
      const { institution, purpose } = watcher(context);
      const limit = pageSize(args.first, context.config.maxPageSize);
      const after = args.after ? parseChangeKey(String(decodeCursor(args.after, 'string'))) : null;
      await recordEndedLeaderTerms(context.db, context.clock.now());
      const rows = await changesAfter(context.db, institution, after, limit);
      const described = await describeChanges(context, rows.slice(0, limit), purpose);
      await logDeliveredChanges(context, institution, described);
      const edges = described.map((node) => ({ cursor: encodeCursor(encodeChangeKey(node.row)), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > limit,
          hasPreviousPage: after !== null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? args.after ?? null,
        },
      };
    },
  }),
);
