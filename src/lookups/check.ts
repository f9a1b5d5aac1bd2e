import type { GraphQLError } from 'graphql';
import { sql } from 'kysely';
import { chinaDay } from '../china-day.ts';
import type { Principal, Role } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { appError } from '../errors.ts';
import { checkCreditCode } from '../evidence/credit-code.ts';
import type { Context } from '../graphql/context.ts';
import { effectiveRatingsAt, type EffectiveRating } from '../rating/effect-store.ts';
import { NOT_LISTED, registerStandingAt, type RegisterStanding } from '../registers/standing.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { lookupVerdict, situationOf } from '../rules/lookup.ts';
import type { Level, Purpose, Verdict } from '../rules/types.ts';

/** Which purpose each institution role may ask about; bureau roles may ask about any. */
export const PURPOSE_OF_ROLE: Partial<Record<Role, Purpose>> = { bank: 'LOAN', finance: 'FISCAL_FUND', insurer: 'INSURANCE' };

/** The verdict a code that is not a valid credit code gets: it identifies no one, so nothing is cleared. */
export const INVALID_CODE_VERDICT: Verdict = 'PROHIBITED';

export interface CheckReason {
  code: string;
  message: string;
}

export interface CheckError {
  code: 'INVALID_CREDIT_CODE';
  message: string;
  field: string;
}

export interface CreditCheckResult {
  inputIndex: number;
  input: string;
  creditCode: string;
  valid: boolean;
  error: CheckError | null;
  enterpriseName: string | null;
  registered: boolean;
  rated: boolean;
  level: Level | null;
  score: number | null;
  blacklisted: boolean;
  leader: boolean;
  verdict: Verdict;
  premiumMultiplier: number | null;
  reasons: CheckReason[];
  ruleSetId: string | null;
  ruleSetVersion: string | null;
  period: string | null;
  ratedSince: Date | null;
  blacklistedSince: Date | null;
  earliestRemoval: string | null;
  leaderTermEnd: string | null;
  purpose: Purpose;
  asOf: Date;
}

/** Refuses a caller who may not ask about `purpose` (bureau roles may ask about any). */
export function assertPurposeAllowed(principal: Principal | null, purpose: Purpose): void {
  if (!principal) throw appError('UNAUTHENTICATED', 'credit checks need a bearer token');
  if (principal.role === 'bureau_admin' || principal.role === 'bureau_officer') return;
  const allowed = PURPOSE_OF_ROLE[principal.role];
  if (allowed !== purpose) {
    throw appError(
      'FORBIDDEN',
      allowed
        ? `${principal.role} may check enterprises for ${allowed} only, not ${purpose}`
        : `${principal.role} may not check enterprises`,
      { field: 'purpose', expected: allowed ?? 'none' },
    );
  }
}

/** The rule version that answers for an enterprise: its effective rating's, else the default set's in force at `asOf`. */
function rulesFor(context: Context, rating: EffectiveRating | undefined, asOf: Date, defaultRules: CompiledRuleSet | undefined): CompiledRuleSet {
  const rules = rating ? context.rules.get(rating.rule_set_id, rating.rule_version) : defaultRules;
  if (!rules) {
    if (rating) throw appError('SERVICE_UNAVAILABLE', `rule version ${rating.rule_set_id}/${rating.rule_version} of an effective rating is not loaded`);
    throw noDefaultRulesAt(context, asOf);
  }
  return rules;
}

/**
 * An unrated enterprise is answered by the default rule set's policy; on a date no version of it
 * covers, there is no answer to give. That is the caller's asOf, unless the set has no version at all
 * (a deployment fault): say from when answers are possible.
 */
function noDefaultRulesAt(context: Context, asOf: Date): GraphQLError {
  const id = context.config.defaultRuleSetId;
  const spans = datesInForce(context.rules.list().filter((s) => s.id === id));
  if (spans.length === 0) return appError('SERVICE_UNAVAILABLE', `no version of the default rule set ${id} is loaded`);
  const possible = spans.map((s) => (s.to === null ? `from ${s.from}T00:00:00+08:00` : `from ${s.from}T00:00:00+08:00 to ${s.to}T23:59:59.999+08:00`)).join(' or ');
  return appError(
    'VALIDATION_FAILED',
    `asOf: no version of the default rule set ${id} is in force on ${chinaDay(asOf)} (China day); answers are possible ${possible}`,
    { field: 'asOf', expected: `an instant ${possible}` },
  );
}

/** The dates some version covers, overlapping or adjacent versions merged, in order; `to` null = open. */
function datesInForce(versions: readonly { effectiveFrom: string; effectiveTo: string | null }[]): { from: string; to: string | null }[] {
  const sorted = [...versions].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : 0));
  const spans: { from: string; to: string | null }[] = [];
  for (const { effectiveFrom: from, effectiveTo: to } of sorted) {
    const last = spans.at(-1);
    if (last && (last.to === null || from <= dayAfter(last.to))) {
      if (last.to !== null && (to === null || to > last.to)) last.to = to;
    } else {
      spans.push({ from, to });
    }
  }
  return spans;
}

const dayAfter = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Current names of the given codes, in one query. */
export async function enterpriseNames(db: Db, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const { rows } = await sql<{ credit_code: string; name: string }>`
    select credit_code, name from enterprise_current where credit_code = any(${[...codes]}::char(18)[])`.execute(db);
  return new Map(rows.map((r) => [r.credit_code.trim(), r.name]));
}

/**
 * Checks codes as given, in order: malformed ones answered in place with an error, valid ones from
 * the effective ratings, register standing and names at `asOf` (three queries for any number of codes).
 */
export async function checkCodes(context: Context, inputs: readonly string[], purpose: Purpose, asOf: Date, field: (i: number) => string): Promise<CreditCheckResult[]> {
  const parsed = inputs.map((input) => checkCreditCode(input));
  const codes = [...new Set(parsed.flatMap((p) => (p.valid ? [p.code] : [])))];
  const [ratings, standings, names] = await Promise.all([
    effectiveRatingsAt(context.db, codes, asOf),
    registerStandingAt(context.db, codes, asOf),
    enterpriseNames(context.db, codes),
  ]);
  // Rule versions take effect on China days, as the bureau dates them.
  const defaultRules = context.rules.effectiveOn(context.config.defaultRuleSetId, chinaDay(asOf));
  return parsed.map((p, inputIndex) => {
    const input = inputs[inputIndex]!;
    if (!p.valid) {
      const message = `${field(inputIndex)}: ${JSON.stringify(input)} is not a valid unified social credit code: ${p.message}`;
      return {
        ...emptyResult(inputIndex, input, purpose, asOf),
        error: { code: 'INVALID_CREDIT_CODE', message, field: field(inputIndex) },
        reasons: [{ code: 'INVALID_CREDIT_CODE', message }],
      };
    }
    const rating = ratings.get(p.code);
    const standing: RegisterStanding = standings.get(p.code) ?? NOT_LISTED;
    const rules = rulesFor(context, rating, asOf, defaultRules);
    const level = (rating?.level as Level | undefined) ?? null;
    const answer = lookupVerdict(rules, purpose, situationOf({ level, blacklisted: standing.blacklisted, leader: standing.leader }));
    const reasons: CheckReason[] = [{ code: answer.reasonCode, message: answer.reason }];
    if (!rating) {
      reasons.unshift({
        code: 'NOT_RATED',
        message: names.has(p.code)
          ? `no rating of ${p.code} was in effect at ${asOf.toISOString()}`
          : `${p.code} is not a registered enterprise; it has never been rated`,
      });
    }
    if (standing.blacklisted && answer.situation === 'BLACKLISTED' && level) {
      reasons.push({ code: `LEVEL_${level}`, message: `effective level ${level} (the blacklist takes precedence)` });
    }
    return {
      inputIndex,
      input,
      creditCode: p.code,
      valid: true,
      error: null,
      enterpriseName: names.get(p.code) ?? null,
      registered: names.has(p.code),
      rated: rating !== undefined,
      level,
      score: rating ? Number(rating.score) : null,
      blacklisted: standing.blacklisted,
      leader: standing.leader,
      verdict: answer.verdict,
      premiumMultiplier: purpose === 'INSURANCE' ? answer.premiumMultiplier : null,
      reasons,
      ruleSetId: rules.id,
      ruleSetVersion: rules.version,
      period: rating?.period ?? null,
      ratedSince: rating?.effective_from ?? null,
      blacklistedSince: standing.listedSince,
      earliestRemoval: standing.earliestRemoval,
      leaderTermEnd: standing.leaderTermEnd,
      purpose,
      asOf,
    };
  });
}

function emptyResult(inputIndex: number, input: string, purpose: Purpose, asOf: Date): CreditCheckResult {
  return {
    inputIndex,
    input,
    creditCode: input,
    valid: false,
    error: null,
    enterpriseName: null,
    registered: false,
    rated: false,
    level: null,
    score: null,
    blacklisted: false,
    leader: false,
    verdict: INVALID_CODE_VERDICT,
    premiumMultiplier: null,
    reasons: [],
    ruleSetId: null,
    ruleSetVersion: null,
    period: null,
    ratedSince: null,
    blacklistedSince: null,
    earliestRemoval: null,
    leaderTermEnd: null,
    purpose,
    asOf,
  };
}
