import type { Db } from '../db/database.ts';
import { appError } from '../errors.ts';
import { changedRuleVersions, RuleFileError, type CompiledRuleSet, type RuleRegistry } from '../rules/index.ts';

/**
 * Records a rule version's content hash the first time a rating uses it; a later use with other
 * bytes under the same version is refused, since ratings already cite that version.
 */
export async function pinRuleVersion(db: Db, rules: CompiledRuleSet, actor: string): Promise<void> {
  await db
    .insertInto('rule_versions')
    .values({ rule_set_id: rules.id, version: rules.version, content_hash: rules.contentHash, first_used_by: actor })
    .onConflict((oc) => oc.columns(['rule_set_id', 'version']).doNothing())
    .execute();
  const pinned = await db
    .selectFrom('rule_versions')
    .select('content_hash')
    .where('rule_set_id', '=', rules.id)
    .where('version', '=', rules.version)
    .executeTakeFirstOrThrow();
  if (pinned.content_hash !== rules.contentHash) throw changedVersionError(rules.id, rules.version, pinned.content_hash, rules.contentHash);
}

function changedVersionError(id: string, version: string, pinned: string, now: string) {
  return appError(
    'CONFLICT',
    `rule file ${id}/${version} changed after ratings used it (was ${pinned}, now ${now}); restore it and publish the change as a new version`,
    { ruleSetId: id, version },
  );
}

/** Start-up check: every version ratings already used must still be there with the same bytes. */
export async function assertPinnedVersionsUnchanged(db: Db, registry: RuleRegistry): Promise<void> {
  const pins = await db.selectFrom('rule_versions').selectAll().execute();
  const problems = changedRuleVersions(
    registry,
    pins.map((p) => ({ ruleSetId: p.rule_set_id, version: p.version, contentHash: p.content_hash })),
  );
  if (problems.length > 0) throw new RuleFileError(problems);
}
