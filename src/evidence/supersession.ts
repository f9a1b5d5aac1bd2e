import { sql } from 'kysely';
import type { Db, EvidenceKind } from '../db/database.ts';
import { EVIDENCE_TABLES } from '../db/database.ts';
import { evidenceRef, parseEvidenceRef } from './ids.ts';

/**
 * Where a record stands in its supersession chain. A correction is a new row superseding the record
 * (a new id for the same offence), a withdrawal a revoked row superseding it; each row is superseded
 * at most once (a unique column), so the chain is a line.
 */
export interface EvidenceChain {
  /** The first record of the chain: the offence's identity, whatever corrections came after. */
  root: string;
  /** The version that counts now, or the withdrawal that ended the chain. */
  latest: string;
  /** The chain ends in a withdrawal: the offence no longer counts at all. */
  withdrawn: boolean;
}

/**
 * The chain of each evidence ref (a map without the refs that name no stored record). Registers
 * compare offences by `root`, so a corrected record neither lists again nor escapes a withdrawal of
 * its correction. With `creditCode`, only that enterprise's records are followed (a chain never
 * crosses enterprises), so a ref to another enterprise's record is left out like an unknown one.
 */
export async function evidenceChains(db: Db, refs: Iterable<string>, creditCode?: string): Promise<Map<string, EvidenceChain>> {
  const idsByKind = new Map<EvidenceKind, Set<number>>();
  for (const ref of refs) {
    let parsed: { kind: EvidenceKind; id: number };
    try {
      parsed = parseEvidenceRef(ref, 'evidenceIds');
    } catch {
      continue; // a register event may name something that is not an evidence record
    }
    idsByKind.set(parsed.kind, (idsByKind.get(parsed.kind) ?? new Set()).add(parsed.id));
  }
  const chains = new Map<string, EvidenceChain>();
  for (const [kind, idSet] of idsByKind) {
    const table = sql.table(EVIDENCE_TABLES[kind]);
    const ids = [...idSet].map(String);
    const ofEnterprise = creditCode === undefined ? sql`true` : sql`t.credit_code = ${creditCode}`;
    const { rows } = await sql<{ start_id: string; root_id: string; latest_id: string; withdrawn: boolean }>`
      with recursive
        up(start_id, id, supersedes_id) as (
          select t.id, t.id, t.supersedes_id from ${table} t where t.id = any(${ids}::bigint[]) and ${ofEnterprise}
          union all
          select up.start_id, earlier.id, earlier.supersedes_id from up join ${table} earlier on earlier.id = up.supersedes_id),
        down(start_id, id, revoked, depth) as (
          select t.id, t.id, t.revoked, 0 from ${table} t where t.id = any(${ids}::bigint[]) and ${ofEnterprise}
          union all
          select down.start_id, later.id, later.revoked, down.depth + 1 from down join ${table} later on later.supersedes_id = down.id),
        roots as (select start_id, id as root_id from up where supersedes_id is null),
        latest as (select distinct on (start_id) start_id, id as latest_id, revoked as withdrawn from down order by start_id, depth desc)
      select roots.start_id, roots.root_id, latest.latest_id, latest.withdrawn
      from roots join latest using (start_id)`.execute(db);
    for (const row of rows) {
      chains.set(evidenceRef(kind, Number(row.start_id)), {
        root: evidenceRef(kind, Number(row.root_id)),
        latest: evidenceRef(kind, Number(row.latest_id)),
        withdrawn: row.withdrawn,
      });
    }
  }
  return chains;
}

/** The offences (chain roots) the refs name; a ref that names no stored record stands for itself. */
export async function offencesOf(db: Db, refs: readonly string[]): Promise<Set<string>> {
  const chains = await evidenceChains(db, refs);
  return new Set(refs.map((ref) => chains.get(ref)?.root ?? ref));
}

/** The versions a record replaced, nearest first (a correction's corrected record, its own, …). */
export async function earlierVersions(db: Db, ref: string): Promise<string[]> {
  const { kind, id } = parseEvidenceRef(ref, 'id');
  const table = sql.table(EVIDENCE_TABLES[kind]);
  const { rows } = await sql<{ id: string }>`
    with recursive up(id, supersedes_id, depth) as (
      select t.id, t.supersedes_id, 0 from ${table} t where t.id = ${id}
      union all
      select earlier.id, earlier.supersedes_id, up.depth + 1 from up join ${table} earlier on earlier.id = up.supersedes_id)
    select id from up where depth > 0 order by depth`.execute(db);
  return rows.map((r) => evidenceRef(kind, Number(r.id)));
}
