import type { CompiledRuleSet } from './compile.ts';
import type { IndicatorResult, PointChange, Rating } from './engine.ts';
import { lookupVerdict, situationOfRating } from './lookup.ts';
import { PURPOSES } from './types.ts';

/**
 * A rating in words, for `envcredit rules explain`: which rule version, where every point went
 * and which evidence moved it, what overrode the score, and what institutions are told.
 */
export function explainRating(rating: Rating, rules?: CompiledRuleSet): string {
  const lines: string[] = [
    `Enterprise ${rating.creditCode}: level ${rating.level}, score ${rating.score}`,
    `Rule set ${rating.ruleSet.id} version ${rating.ruleSet.version} (${rating.ruleSet.contentHash})`,
    `Period ${rating.period.start} to ${rating.period.end}, as of ${rating.asOf}`,
    '',
    `Base score ${rating.baseScore}${rating.baseReason ? ` (${rating.baseReason})` : ''}`,
  ];
  for (const category of rating.categories) {
    lines.push(`${category.title}: ${signed(category.points)}${capNote(category.raw, category.points, category.cap)}`);
    for (const indicator of category.indicators) lines.push(...indicatorLines(indicator));
  }
  lines.push(`Bonuses: ${signed(rating.bonuses.points)}${capNote(rating.bonuses.raw, rating.bonuses.points, rating.bonuses.maxTotal)}`);
  for (const indicator of rating.bonuses.indicators) lines.push(...indicatorLines(indicator));
  lines.push(`Score ${rating.score} gives ${rating.scoreLevel}.`);
  for (const veto of rating.vetoes) lines.push(`Veto ${veto.id} (${veto.title}) forces ${veto.forcesLevel}; evidence ${veto.evidence.join(', ') || 'enterprise-wide condition'}.`);
  if (rating.level !== rating.scoreLevel) lines.push(`Final level ${rating.level} (a veto wins over points).`);
  for (const proposal of rating.blacklist) {
    lines.push(`Blacklist proposal ${proposal.criterion}: ${proposal.cause}; at least ${proposal.minimumMonths} months; ${proposal.automatic ? 'automatic' : 'needs a decision'}.`);
  }
  lines.push(leaderLine(rating, rules));
  if (rules) {
    const situation = situationOfRating(rating);
    for (const purpose of PURPOSES) {
      const verdict = lookupVerdict(rules, purpose, situation);
      const premium = verdict.premiumMultiplier === null ? '' : `, premium x${verdict.premiumMultiplier}`;
      lines.push(`${purpose} (${situation}): ${verdict.verdict}${premium} — ${verdict.reason}`);
    }
  }
  return lines.join('\n');
}

function indicatorLines(indicator: IndicatorResult): string[] {
  if (indicator.changes.length === 0) return [];
  return [`  ${indicator.title}: ${signed(indicator.points)}${capNote(indicator.raw, indicator.points, indicator.cap)}`, ...indicator.changes.map(changeLine)];
}

function changeLine(change: PointChange): string {
  const evidence = change.evidence.length > 0 ? ` [${change.evidence.join(', ')}]` : '';
  const repeat = change.escalation ? ` (${change.escalation.reason}: offence no. ${change.escalation.ordinal} in the look-back, x${change.escalation.multiplier})` : '';
  const note = repeat + (change.note ? ` (${change.note})` : '');
  return `    ${signed(change.points)} ${change.reason}${evidence}${note}`;
}

function leaderLine(rating: Rating, rules?: CompiledRuleSet): string {
  const { action, termMonths, reasons } = rating.leader;
  const detail = reasons.length > 0 ? ` (${reasons.map((reason) => withRevokeDescription(reason, rules)).join(', ')})` : '';
  if (action === 'NOMINATE') return `Leader: proposed for a ${termMonths}-month term${detail}.`;
  if (action === 'KEEP') return 'Leader: keeps its leader status.';
  if (action === 'REVOKE') return `Leader: status to be revoked${detail}.`;
  return `Leader: not eligible${detail}.`;
}

/** A revoke condition's reason code with the file's words for it, so a reader sees why without the CEL. */
function withRevokeDescription(reason: string, rules?: CompiledRuleSet): string {
  const description = rules?.file.leader.revoke.conditions?.find((c) => c.reason === reason)?.description;
  return description ? `${reason}: ${description}` : reason;
}

const signed = (n: number): string => (n > 0 ? `+${n}` : `${n}`);
const capNote = (raw: number, applied: number, cap: number | null): string => (cap !== null && raw !== applied ? ` (capped at ${cap}; ${raw} before the cap)` : '');
