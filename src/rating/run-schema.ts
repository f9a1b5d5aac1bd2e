import { actorName } from '../auth/principal.ts';
import type { RunMode, RunStatus } from '../db/database.ts';
import { appError } from '../errors.ts';
import { bureauOrSelf, EnterpriseRef, loadEnterprise } from '../evidence/enterprise-schema.ts';
import { parseEvidenceRef } from '../evidence/ids.ts';
import { refsNotOf } from '../evidence/evidence-store.ts';
import { InputCheck, requireCreditCode } from '../evidence/validate.ts';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { requestLoader } from '../graphql/loaders.ts';
import { readPage, toConnection } from '../graphql/pagination.ts';
import { CreditLevel } from '../rules/rules-schema.ts';
import { movers, scoreShift, transitionMatrix, verifyRun, type Mover } from './analysis.ts';
import { effectiveRatingsAt, ratingHistory, type EffectiveRating } from './effect-store.ts';
import { beginPublicity, decideObjection, fileObjection, findObjections, publishRun, withdrawRun, type ObjectionRow } from './lifecycle.ts';
import { parsePeriod } from './period.ts';
import { INDUSTRY_CODE } from '../evidence/evidence-rules.ts';
import { RatingRef, ratingViewFromStored } from './rating-schema.ts';
import { startRatingRun } from './runner.ts';
import { currentRunRatings, findRun, runHistory, type RatingRow, type RunRow, type RunScope } from './run-store.ts';

export const MAX_SCOPE_CODES = 10_000;

export function parseRunId(value: string, field: string): number {
  const match = /^(?:run:)?(\d{1,15})$/.exec(value);
  if (!match) throw appError('VALIDATION_FAILED', `${field}: ${JSON.stringify(value)} is not a rating run id`, { field, expected: 'run:<number>' });
  return Number(match[1]);
}

const isPublicRun = (run: RunRow) =>
  (run.mode === 'DRAFT' && (run.status === 'PUBLICITY' || run.status === 'PUBLISHED')) || (run.mode === 'DYNAMIC' && run.status === 'PUBLISHED');

const RunModeEnum = builder.enumType('RatingRunMode', {
  values: {
    DRAFT: { description: 'A real rating: may go to publicity and be published.' },
    SIMULATION: { description: 'Impact analysis: never published, never touches registers.' },
    DYNAMIC: { description: 'A re-rating triggered by serious new evidence (dynamic adjustment).' },
  },
});
const StartModeEnum = builder.enumType('StartRatingRunMode', { values: ['DRAFT', 'SIMULATION'] as const });
const RunStatusEnum = builder.enumType('RatingRunStatus', {
  values: ['RUNNING', 'DRAFTED', 'FAILED', 'PUBLICITY', 'PUBLISHED', 'WITHDRAWN'] as const,
});

const LevelCount = builder.objectRef<{ level: string; count: number }>('LevelCount').implement({
  fields: (t) => ({
    level: t.field({ type: CreditLevel, resolve: (c) => c.level as never }),
    count: t.exposeInt('count'),
  }),
});

const RunProgressRef = builder.objectRef<{ done: number; total: number }>('RunProgress').implement({
  fields: (t) => ({ done: t.exposeInt('done'), total: t.exposeInt('total') }),
});

const RunEventRef = builder.objectRef<{ status: RunStatus; actor: string; at: Date; detail: unknown }>('RatingRunEvent').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    status: t.field({ type: RunStatusEnum, resolve: (e) => e.status }),
    actor: t.exposeString('actor'),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    detail: t.string({ description: 'JSON detail of the transition.', resolve: (e) => JSON.stringify(e.detail) }),
  }),
});

/** A standing rating in a run, with the public summary (level, score) and the full rating for those allowed. */
const RunRatingRef = builder.objectRef<RatingRow>('RunRating').implement({
  fields: (t) => ({
    creditCode: t.string({ resolve: (r) => r.credit_code }),
    enterprise: t.field({ type: EnterpriseRef, resolve: async (r, _a, ctx) => (await loadEnterprise(ctx, r.credit_code))! }),
    level: t.field({ type: CreditLevel, resolve: (r) => r.level as never }),
    score: t.float({ resolve: (r) => Number(r.score) }),
    vetoes: t.stringList({ description: 'The one-vote vetoes that decided the level, by id: public with the level, as on the public site (their evidence is in rating, for the bureau and the enterprise).', resolve: (r) => r.vetoes }),
    rerated: t.boolean({ description: 'Replaces an earlier rating of this run after an accepted objection.', resolve: (r) => r.supersedes_id !== null }),
    rating: t.field({ type: RatingRef, authScopes: (r) => bureauOrSelf(r), resolve: (r) => ratingViewFromStored(r) }),
  }),
});
const RunRatingConnection = builder.connectionObject({ type: RunRatingRef, name: 'RunRatingConnection' });

export const RatingRunRef = builder.objectRef<RunRow>('RatingRun').implement({
  description: 'One rating of a population under one rule version and period. Visible to everyone during publicity and once published.',
  authScopes: (run) => (isPublicRun(run) ? { public: true } : { bureau: true }),
  fields: (t) => ({
    id: t.id({ resolve: (r) => `run:${r.id}` }),
    ruleSetId: t.exposeString('rule_set_id'),
    ruleVersion: t.exposeString('rule_version'),
    ruleHash: t.exposeString('rule_hash'),
    period: t.exposeString('period'),
    periodStart: t.field({ type: 'Date', resolve: (r) => r.period_start }),
    periodEnd: t.field({ type: 'Date', resolve: (r) => r.period_end }),
    mode: t.field({ type: RunModeEnum, resolve: (r) => r.mode as RunMode }),
    scope: t.string({ description: 'JSON: {"kind":"ALL"} | {"kind":"CODES",...} | {"kind":"REGION",...} | {"kind":"INDUSTRY",...}', resolve: (r) => JSON.stringify(r.scope) }),
    status: t.field({ type: RunStatusEnum, resolve: (r) => r.status }),
    statusChangedAt: t.field({ type: 'DateTime', resolve: (r) => r.status_at }),
    startedAt: t.field({ type: 'DateTime', resolve: (r) => r.started_at }),
    startedBy: t.string({ authScopes: { bureau: true }, resolve: (r) => r.started_by }),
    progress: t.field({
      type: RunProgressRef,
      resolve: async (r, _a, ctx) => {
        const live = ctx.tracker.progressOf(r.id);
        if (live) return live;
        const rated = Number((await runDetail(ctx, r.id, 'DRAFTED')).rated ?? 0);
        return { done: rated, total: rated };
      },
    }),
    inputFingerprint: t.string({
      nullable: true,
      description: 'sha256 over every rated enterprise’s evidence fingerprint, in credit-code order.',
      resolve: async (r, _a, ctx) => ((await runDetail(ctx, r.id, 'DRAFTED')).inputFingerprint as string | undefined) ?? null,
    }),
    levelCounts: t.field({
      type: [LevelCount],
      resolve: async (r, _a, ctx) => {
        const levels = ((await runDetail(ctx, r.id, 'DRAFTED')).levels ?? {}) as Record<string, number>;
        return Object.entries(levels).map(([level, count]) => ({ level, count })).sort((a, b) => (a.level < b.level ? -1 : 1));
      },
    }),
    durationMs: t.int({
      nullable: true,
      authScopes: { bureau: true },
      resolve: async (r, _a, ctx) => (((await runDetail(ctx, r.id, 'DRAFTED')).timings as { totalMs?: number } | undefined)?.totalMs ?? null),
    }),
    publicityEndsAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: async (r, _a, ctx) => ((await runDetail(ctx, r.id, 'PUBLICITY')).endsAt as string | undefined) ?? null,
    }),
    history: t.field({ type: [RunEventRef], authScopes: { bureau: true }, resolve: (r, _a, ctx) => runEvents(ctx, r.id) as never }),
    ratings: t.field({
      type: RunRatingConnection,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (r, args, ctx) => {
        const page = readPage(args, ctx.config.maxPageSize, 'string');
        return toConnection(await currentRunRatings(ctx.db, r.id, page), page, (row) => row.credit_code);
      },
    }),
  }),
});

/** A run's events, loaded once per request however many fields read them. */
function runEvents(context: Context, runId: number) {
  return requestLoader<number, Awaited<ReturnType<typeof runHistory>>>(context, 'run-events', (ids) =>
    Promise.all(ids.map((id) => runHistory(context.db, id))),
  ).load(runId);
}

async function runDetail(context: Context, runId: number, status: RunStatus): Promise<Record<string, unknown>> {
  const event = (await runEvents(context, runId)).filter((e) => e.status === status).at(-1);
  return (event?.detail ?? {}) as Record<string, unknown>;
}

async function requireRun(context: Context, id: string, field = 'id'): Promise<RunRow> {
  const run = await findRun(context.db, parseRunId(id, field));
  if (!run) throw appError('NOT_FOUND', `rating run ${id} not found`, { field });
  return run;
}

const RatingScopeInput = builder.inputType('RatingScopeInput', {
  description: 'Exactly one of: all, creditCodes, region, industry.',
  fields: (t) => ({
    all: t.boolean(),
    creditCodes: t.stringList({ description: `At most ${MAX_SCOPE_CODES} codes.` }),
    region: t.string(),
    industry: t.string({ description: 'A GB/T 4754 prefix.' }),
  }),
});

function readScope(input: typeof RatingScopeInput.$inferInput): RunScope {
  const given = [input.all ? 'all' : null, input.creditCodes ? 'creditCodes' : null, input.region ? 'region' : null, input.industry ? 'industry' : null].filter(Boolean);
  if (given.length !== 1) {
    throw appError('VALIDATION_FAILED', 'input.scope: give exactly one of all, creditCodes, region, industry', { field: 'input.scope', expected: 'one scope field' });
  }
  if (input.creditCodes) {
    if (input.creditCodes.length === 0 || input.creditCodes.length > MAX_SCOPE_CODES) {
      throw appError('VALIDATION_FAILED', `input.scope.creditCodes: give 1 to ${MAX_SCOPE_CODES} codes`, { field: 'input.scope.creditCodes' });
    }
    const codes = input.creditCodes.map((c, i) => requireCreditCode(c, `input.scope.creditCodes[${i}]`));
    return { kind: 'CODES', codes: [...new Set(codes)].sort() };
  }
  if (input.region) return { kind: 'REGION', region: input.region.trim() };
  if (input.industry) {
    const industry = input.industry.trim().toUpperCase();
    if (!INDUSTRY_CODE.test(industry)) {
      throw appError('VALIDATION_FAILED', `input.scope.industry: ${JSON.stringify(input.industry)} is not a GB/T 4754 code`, {
        field: 'input.scope.industry',
        expected: 'a section letter A-T, optionally followed by 2-4 digits (C, C20, C2011)',
      });
    }
    return { kind: 'INDUSTRY', industry };
  }
  return { kind: 'ALL' };
}

const StartRatingRunInput = builder.inputType('StartRatingRunInput', {
  fields: (t) => ({
    ruleSetId: t.string({ required: true }),
    version: t.string({ required: true }),
    period: t.string({ required: true, description: 'YYYY (calendar year) or YYYY-MM (12 months ending then).' }),
    scope: t.field({ type: RatingScopeInput, required: true }),
    mode: t.field({ type: StartModeEnum, required: true }),
  }),
});

builder.mutationField('startRatingRun', (t) =>
  t.field({
    type: RatingRunRef,
    description: 'Starts rating a population in the background; follow it with ratingRun(id) { status progress }.',
    authScopes: { bureau: true },
    args: { input: t.arg({ type: StartRatingRunInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const period = parsePeriod(input.period, 'input.period');
      const runId = await startRatingRun(
        { db: context.db, rules: context.rules, tracker: context.tracker, logger: context.logger },
        { ruleSetId: input.ruleSetId, version: input.version, period, scope: readScope(input.scope), mode: input.mode, actor: actorName(context.principal!), now: context.clock.now() },
      );
      return (await findRun(context.db, runId))!;
    },
  }),
);

builder.queryField('ratingRun', (t) =>
  t.field({
    type: RatingRunRef,
    nullable: true,
    authScopes: { public: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => (await findRun(context.db, parseRunId(String(args.id), 'id'))) ?? null,
  }),
);

const VerificationDifferenceRef = builder
  .objectRef<{ creditCode: string; ratingId: number; storedHash: string; recomputedHash: string }>('RatingDifference')
  .implement({
    fields: (t) => ({
      creditCode: t.exposeString('creditCode'),
      ratingId: t.id({ resolve: (d) => `rating:${d.ratingId}` }),
      storedHash: t.exposeString('storedHash'),
      recomputedHash: t.exposeString('recomputedHash'),
    }),
  });

const RunVerificationRef = builder.objectRef<Awaited<ReturnType<typeof verifyRun>>>('RunVerification').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    checked: t.exposeInt('checked'),
    differing: t.exposeInt('differing', { description: 'How many standing ratings would differ (all of them counted).' }),
    differences: t.field({
      type: [VerificationDifferenceRef],
      description: 'The first of them in credit-code order, at most MAX_PAGE_SIZE.',
      resolve: (v) => v.differences,
    }),
  }),
});

builder.queryField('verifyRatingRun', (t) =>
  t.field({
    type: RunVerificationRef,
    description: 'Re-evaluates every standing rating of the run on the evidence it read; lists any that would differ.',
    authScopes: { bureau: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => verifyRun(context.db, context.rules, await requireRun(context, String(args.id)), context.config.maxPageSize),
  }),
);

const TransitionRef = builder.objectRef<{ from: string | null; to: string | null; count: number }>('LevelTransition').implement({
  fields: (t) => ({
    from: t.field({ type: CreditLevel, nullable: true, description: 'Level in run a (null: not rated there).', resolve: (x) => x.from as never }),
    to: t.field({ type: CreditLevel, nullable: true, description: 'Level in run b (null: not rated there).', resolve: (x) => x.to as never }),
    count: t.exposeInt('count'),
  }),
});

const ScoreShiftRef = builder.objectRef<Awaited<ReturnType<typeof scoreShift>>>('ScoreShift').implement({
  fields: (t) => ({
    compared: t.exposeInt('compared'),
    mean: t.float({ nullable: true, resolve: (s) => s.mean }),
    min: t.float({ nullable: true, resolve: (s) => s.min }),
    max: t.float({ nullable: true, resolve: (s) => s.max }),
    stddev: t.float({ nullable: true, resolve: (s) => s.stddev }),
    raised: t.exposeInt('raised'),
    lowered: t.exposeInt('lowered'),
    unchanged: t.exposeInt('unchanged'),
  }),
});

const MoverRef = builder.objectRef<Mover>('LevelMover').implement({
  fields: (t) => ({
    creditCode: t.exposeString('credit_code'),
    enterprise: t.field({ type: EnterpriseRef, resolve: async (m, _a, ctx) => (await loadEnterprise(ctx, m.credit_code))! }),
    fromLevel: t.field({ type: CreditLevel, resolve: (m) => m.from_level as never }),
    toLevel: t.field({ type: CreditLevel, resolve: (m) => m.to_level as never }),
    fromScore: t.float({ resolve: (m) => Number(m.from_score) }),
    toScore: t.float({ resolve: (m) => Number(m.to_score) }),
  }),
});
const MoverConnection = builder.connectionObject({ type: MoverRef, name: 'LevelMoverConnection' });

const RunComparisonRef = builder.objectRef<{ a: RunRow; b: RunRow }>('RatingRunComparison').implement({
  authScopes: { bureau: true },
  fields: (t) => ({
    a: t.field({ type: RatingRunRef, resolve: (c) => c.a }),
    b: t.field({ type: RatingRunRef, resolve: (c) => c.b }),
    transitions: t.field({ type: [TransitionRef], description: 'From (run a) → to (run b) level counts.', resolve: (c, _a, ctx) => transitionMatrix(ctx.db, c.a.id, c.b.id) }),
    scoreShift: t.field({ type: ScoreShiftRef, description: 'Score in b minus score in a, over enterprises in both.', resolve: (c, _a, ctx) => scoreShift(ctx.db, c.a.id, c.b.id) }),
    movers: t.field({
      type: MoverConnection,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (c, args, ctx) => {
        const page = readPage(args, ctx.config.maxPageSize, 'string');
        return toConnection(await movers(ctx.db, c.a.id, c.b.id, page), page, (m) => m.credit_code);
      },
    }),
  }),
});

builder.queryField('compareRatingRuns', (t) =>
  t.field({
    type: RunComparisonRef,
    description: 'The impact of a rule change: level transition matrix, score shift and the enterprises that change level.',
    authScopes: { bureau: true },
    args: { a: t.arg.id({ required: true }), b: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => ({ a: await requireRun(context, String(args.a), 'a'), b: await requireRun(context, String(args.b), 'b') }),
  }),
);

builder.mutationField('beginPublicity', (t) =>
  t.field({
    type: RatingRunRef,
    description: 'Opens the publicity period (公示) of a drafted run: its ratings become public and objections can be filed.',
    authScopes: { bureauAdmin: true },
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const runId = parseRunId(String(args.runId), 'runId');
      await beginPublicity(context.db, context.rules, runId, actorName(context.principal!), context.clock.now());
      return (await findRun(context.db, runId))!;
    },
  }),
);

builder.mutationField('publishRatingRun', (t) =>
  t.field({
    type: RatingRunRef,
    description: 'Publishes a run after its publicity period with no open objection: its ratings become effective now.',
    authScopes: { bureauAdmin: true },
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const runId = parseRunId(String(args.runId), 'runId');
      await publishRun(context.db, context.rules, runId, actorName(context.principal!), context.clock.now());
      return (await findRun(context.db, runId))!;
    },
  }),
);

builder.mutationField('withdrawRatingRun', (t) =>
  t.field({
    type: RatingRunRef,
    authScopes: { bureauAdmin: true },
    args: { runId: t.arg.id({ required: true }), reason: t.arg.string({ required: true }) },
    resolve: async (_root, args, context) => {
      const runId = parseRunId(String(args.runId), 'runId');
      new InputCheck('').text(args.reason, 'reason', { max: 2000 }).done();
      await withdrawRun(context.db, runId, args.reason.trim(), actorName(context.principal!));
      return (await findRun(context.db, runId))!;
    },
  }),
);


const ObjectionRef = builder.objectRef<ObjectionRow>('Objection').implement({
  description: 'An enterprise’s objection (异议) to its draft rating during publicity, and the bureau’s decision.',
  authScopes: (o) => bureauOrSelf({ credit_code: o.credit_code.trim() }),
  fields: (t) => ({
    id: t.id({ resolve: (o) => `objection:${o.id}` }),
    runId: t.id({ resolve: (o) => `run:${o.run_id}` }),
    creditCode: t.string({ resolve: (o) => o.credit_code.trim() }),
    grounds: t.exposeString('grounds'),
    evidenceRefs: t.stringList({ resolve: (o) => o.evidence_refs }),
    filedAt: t.field({ type: 'DateTime', resolve: (o) => o.filed_at }),
    status: t.string({ description: 'OPEN, ACCEPTED or REJECTED.', resolve: (o) => o.decision ?? 'OPEN' }),
    decisionReason: t.string({ nullable: true, resolve: (o) => o.reason }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (o) => o.decided_at }),
    reratingId: t.id({ nullable: true, resolve: (o) => (o.rerating_id ? `rating:${o.rerating_id}` : null) }),
  }),
});

async function loadObjection(context: Context, id: number): Promise<ObjectionRow> {
  const [row] = await findObjections(context.db, { id }, { limit: 1, after: null });
  if (!row) throw appError('NOT_FOUND', `objection:${id} not found`, { field: 'id' });
  return row;
}

const ObjectionConnection = builder.connectionObject({ type: ObjectionRef, name: 'ObjectionConnection' });

builder.objectField(RatingRunRef, 'objections', (t) =>
  t.field({
    type: ObjectionConnection,
    description: 'The objections filed against this run, oldest first; openOnly lists those still to be decided (publication waits for them).',
    authScopes: { bureau: true },
    args: { openOnly: t.arg.boolean(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (run, args, ctx) => {
      const page = readPage(args, ctx.config.maxPageSize, 'number');
      return toConnection(await findObjections(ctx.db, { runId: run.id, openOnly: args.openOnly ?? false }, page), page, (o) => o.id);
    },
  }),
);

builder.objectField(EnterpriseRef, 'objections', (t) =>
  t.field({
    type: ObjectionConnection,
    description: 'The enterprise’s objections to its draft ratings and the bureau’s decisions, oldest first.',
    authScopes: bureauOrSelf,
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (enterprise, args, ctx) => {
      const page = readPage(args, ctx.config.maxPageSize, 'number');
      return toConnection(await findObjections(ctx.db, { creditCode: enterprise.credit_code }, page), page, (o) => o.id);
    },
  }),
);

builder.queryField('objection', (t) =>
  t.field({
    type: ObjectionRef,
    description: 'One objection by id (bureau roles; an enterprise reads its own through enterprise { objections }).',
    authScopes: { bureau: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => loadObjection(ctx, parseObjectionId(String(args.id), 'id')),
  }),
);

function parseObjectionId(value: string, field: string): number {
  const match = /^(?:objection:)?(\d{1,15})$/.exec(value);
  if (!match) throw appError('VALIDATION_FAILED', `${field}: not an objection id`, { field, expected: 'objection:<number>' });
  return Number(match[1]);
}

const FileObjectionInput = builder.inputType('FileObjectionInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    creditCode: t.string({ required: true }),
    grounds: t.string({ required: true }),
    evidenceRefs: t.stringList({ description: 'Evidence ids the objection disputes, e.g. violation:42.' }),
  }),
});

builder.mutationField('fileObjection', (t) =>
  t.field({
    type: ObjectionRef,
    description: 'An enterprise contests its draft rating during publicity (its own credit code only).',
    authScopes: (_root, args) => ({ enterpriseSelf: requireCreditCode(args.input.creditCode, 'input.creditCode') }),
    args: { input: t.arg({ type: FileObjectionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const creditCode = requireCreditCode(input.creditCode, 'input.creditCode');
      new InputCheck('input').text(input.grounds, 'grounds', { max: 10_000 }).require((input.evidenceRefs ?? []).length <= 100, 'evidenceRefs', 'at most 100').done();
      const parsed = (input.evidenceRefs ?? []).map((ref, i) => parseEvidenceRef(ref, `input.evidenceRefs[${i}]`));
      const foreign = await refsNotOf(context.db, creditCode, parsed);
      if (foreign.length > 0) {
        throw appError('VALIDATION_FAILED', `input.evidenceRefs: ${foreign.join(', ')} ${foreign.length === 1 ? 'is not a record' : 'are not records'} of ${creditCode}`, {
          field: `input.evidenceRefs[${parsed.findIndex((p) => foreign.includes(`${p.kind}:${p.id}`))}]`,
          expected: `ids of ${creditCode}'s own evidence records, as its rating or evidence lists give them`,
        });
      }
      const refs = [...new Set(parsed.map((p) => `${p.kind}:${p.id}`))];
      const id = await fileObjection(context.db, {
        runId: parseRunId(String(input.runId), 'input.runId'),
        creditCode,
        grounds: input.grounds.trim(),
        evidenceRefs: refs,
        filedBy: actorName(context.principal!),
      }, context.clock.now());
      return loadObjection(context, id);
    },
  }),
);

const DecideObjectionInput = builder.inputType('DecideObjectionInput', {
  fields: (t) => ({
    objectionId: t.id({ required: true }),
    accept: t.boolean({ required: true, description: 'Accept (re-rates the enterprise on its corrected evidence) or reject.' }),
    reason: t.string({ required: true }),
  }),
});

builder.mutationField('decideObjection', (t) =>
  t.field({
    type: ObjectionRef,
    authScopes: { bureau: true },
    args: { input: t.arg({ type: DecideObjectionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const objectionId = parseObjectionId(String(input.objectionId), 'input.objectionId');
      new InputCheck('input').text(input.reason, 'reason', { max: 10_000 }).done();
      await decideObjection(context.db, context.rules, { objectionId, accept: input.accept, reason: input.reason.trim(), decidedBy: actorName(context.principal!) }, context.clock.now());
      return loadObjection(context, objectionId);
    },
  }),
);

/** The rating in force for an enterprise at an instant: public summary, full rating for bureau and self. */
export const EffectiveRatingRef = builder.objectRef<EffectiveRating>('EffectiveRating').implement({
  description: 'A published rating as it stood (or stands): level and score are public information.',
  authScopes: { public: true },
  fields: (t) => ({
    level: t.field({ type: CreditLevel, resolve: (r) => r.level as never }),
    score: t.float({ resolve: (r) => Number(r.score) }),
    period: t.exposeString('period'),
    ruleSetId: t.exposeString('rule_set_id'),
    ruleVersion: t.exposeString('rule_version'),
    ruleHash: t.exposeString('rule_hash'),
    effectiveFrom: t.field({ type: 'DateTime', resolve: (r) => r.effective_from }),
    effectiveTo: t.field({ type: 'DateTime', nullable: true, description: 'Null while it is still in force.', resolve: (r) => r.effective_to }),
    cause: t.string({ description: 'PUBLICATION (an annual or batch run), DYNAMIC_ADJUSTMENT (a serious violation re-rated at once) or CORRECTION (a record it rested on was withdrawn or corrected).', resolve: (r) => r.cause }),
    triggerEvidence: t.string({ nullable: true, authScopes: (r) => bureauOrSelf(r), resolve: (r) => r.trigger_evidence }),
    rating: t.field({ type: RatingRef, authScopes: (r) => bureauOrSelf(r), resolve: (r) => ratingViewFromStored(r) }),
  }),
});
const EffectiveRatingConnection = builder.connectionObject({ type: EffectiveRatingRef, name: 'EffectiveRatingConnection' });

builder.objectField(EnterpriseRef, 'rating', (t) =>
  t.field({
    type: EffectiveRatingRef,
    nullable: true,
    description: 'The rating in force at asOf (default now); null if none was published by then.',
    authScopes: { public: true },
    args: { asOf: t.arg({ type: 'DateTime' }) },
    resolve: async (enterprise, args, context) => {
      // Batched per request and instant: a list of enterprises asks one query, not one each.
      const at = args.asOf ?? requestInstant(context);
      return ratingsInForceLoader(context, at).load(enterprise.credit_code);
    },
  }),
);

/** "Now" for one request: every field asking for the current rating answers for the same instant. */
const requestInstants = new WeakMap<Context, Date>();
function requestInstant(context: Context): Date {
  let at = requestInstants.get(context);
  if (!at) requestInstants.set(context, (at = context.clock.now()));
  return at;
}

function ratingsInForceLoader(context: Context, at: Date) {
  return requestLoader<string, EffectiveRating | null>(context, `ratings-in-force:${at.toISOString()}`, async (codes) => {
    const found = await effectiveRatingsAt(context.db, codes, at);
    return codes.map((code) => found.get(code) ?? null);
  });
}

builder.objectField(EnterpriseRef, 'ratings', (t) =>
  t.field({
    type: EffectiveRatingConnection,
    description: 'Every rating that was in force, newest first.',
    authScopes: { public: true },
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (enterprise, args, context) => {
      const page = readPage(args, context.config.maxPageSize, 'number');
      return toConnection(await ratingHistory(context.db, enterprise.credit_code, page.limit, page.after), page, (r) => r.effect_id);
    },
  }),
);
