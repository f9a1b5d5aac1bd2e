import type { CompiledRuleSet } from './compile.ts';
import type { Rating } from './engine.ts';
import type { Level, Purpose, Situation, Verdict } from './types.ts';

export interface LookupVerdict {
  purpose: Purpose;
  situation: Situation;
  verdict: Verdict;
  /** Insurance only: the factor on the base premium; null for other purposes. */
  premiumMultiplier: number | null;
  reasonCode: string;
  reason: string;
  ruleSet: { id: string; version: string; contentHash: string };
}

/** What the rule version's lookup policy tells an institution for a situation. Pure. */
export function lookupVerdict(rules: CompiledRuleSet, purpose: Purpose, situation: Situation): LookupVerdict {
  const entry = rules.lookup[purpose][situation];
  return {
    purpose,
    situation,
    verdict: entry.verdict,
    premiumMultiplier: entry.premium_multiplier ?? null,
    reasonCode: entry.reason_code,
    reason: entry.reason,
    ruleSet: { id: rules.id, version: rules.version, contentHash: rules.contentHash },
  };
}

export interface LookupStanding {
  /** The enterprise's effective level, or null when it has never been rated. */
  level: Level | null;
  blacklisted: boolean;
  leader: boolean;
}

/**
 * The situation a lookup answers for. The blacklist overrides everything; leader status only
 * improves a GREEN or BLUE enterprise, since a worse level means the term should be revoked.
 */
export function situationOf(standing: LookupStanding): Situation {
  if (standing.blacklisted) return 'BLACKLISTED';
  if (standing.level === null) return 'NOT_RATED';
  if (standing.leader && (standing.level === 'GREEN' || standing.level === 'BLUE')) return 'LEADER';
  return standing.level;
}

/** The situation a fresh rating would put the enterprise in if its proposals were accepted. */
export function situationOfRating(rating: Rating): Situation {
  return situationOf({
    level: rating.level,
    blacklisted: rating.blacklist.some((p) => p.automatic),
    leader: rating.leader.action === 'NOMINATE' || rating.leader.action === 'KEEP',
  });
}
