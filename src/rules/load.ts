import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { compileRuleFile, type CompiledRuleSet } from './compile.ts';
import { formatPath, RuleFileError, SourceLocator, type PathSegment, type RuleProblem } from './problems.ts';
import type { RuleFile } from './types.ts';

/**
 * Reading rule files: `<rulesDir>/<rule-set-id>/<version>.yaml`. Every file is checked against the
 * JSON Schema, then semantically (windows, fields, codes, thresholds, CEL, cases); each problem
 * carries the file, the path inside it and the line. This module is the only one touching the disk.
 */

export interface ParsedRuleFile {
  ruleSet: CompiledRuleSet | null;
  problems: RuleProblem[];
}

const RULE_FILE_NAME = /^(.+)\.ya?ml$/;

export function contentHashOf(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Parses and checks one rule file's text. `expected` is the id and version its path implies. */
export function parseRuleText(bytes: Uint8Array | string, file: string, expected?: { id: string; version: string }): ParsedRuleFile {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locator = new SourceLocator(document, lines);
  const problems: RuleProblem[] = [];
  const report = (path: readonly PathSegment[], message: string, expectedText?: string) => {
    problems.push({ file, path: formatPath(path), ...locator.locate(path), message, ...(expectedText ? { expected: expectedText } : {}) });
  };

  for (const error of document.errors) {
    const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    problems.push({ file, path: '(yaml)', line: pos?.line ?? null, column: pos?.col ?? null, message: error.message.split('\n')[0] ?? error.message, expected: 'valid YAML' });
  }
  if (problems.length > 0) return { ruleSet: null, problems };

  const data: unknown = document.toJS();
  const validate = schemaValidator();
  if (!validate(data)) {
    for (const problem of schemaProblems(validate.errors ?? [])) report(problem.path, problem.message, problem.expected);
    return { ruleSet: null, problems: dedupe(problems) };
  }
  const ruleFile = data as RuleFile;
  if (expected && ruleFile.id !== expected.id) report(['id'], `id "${ruleFile.id}" does not match the folder "${expected.id}"`, expected.id);
  if (expected && ruleFile.version !== expected.version) {
    report(['version'], `version "${ruleFile.version}" does not match the file name "${expected.version}.yaml"`, expected.version);
  }
  const ruleSet = compileRuleFile(ruleFile, contentHashOf(bytes), report);
  return problems.length > 0 ? { ruleSet: null, problems: dedupe(problems) } : { ruleSet, problems: [] };
}

/** Checks one file on disk, inferring the expected id and version from `<id>/<version>.yaml`. */
export function checkRuleFile(path: string): ParsedRuleFile {
  const name = RULE_FILE_NAME.exec(basename(path));
  const expected = name?.[1] ? { id: basename(dirname(path)), version: name[1] } : undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { ruleSet: null, problems: [{ file: path, path: '(file)', line: null, column: null, message: `cannot read: ${(error as Error).message}` }] };
  }
  return parseRuleText(bytes, path, expected);
}

export interface RuleSetVersionSummary {
  id: string;
  version: string;
  title: string;
  contentHash: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  file: string;
}

/** The rule versions found in a rules directory; several versions of a set coexist. */
export class RuleRegistry {
  private readonly byKey = new Map<string, { ruleSet: CompiledRuleSet; file: string }>();
  /** Every version, ordered by set id then version; the registry never changes after construction. */
  private readonly summaries: readonly RuleSetVersionSummary[];

  constructor(entries: { ruleSet: CompiledRuleSet; file: string }[]) {
    for (const entry of entries) this.byKey.set(key(entry.ruleSet.id, entry.ruleSet.version), entry);
    this.summaries = [...this.byKey.values()]
      .sort((a, b) => (a.ruleSet.id === b.ruleSet.id ? compareVersions(a.ruleSet.version, b.ruleSet.version) : a.ruleSet.id < b.ruleSet.id ? -1 : 1))
      .map(({ ruleSet, file }) =>
        Object.freeze({
          id: ruleSet.id,
          version: ruleSet.version,
          title: ruleSet.title,
          contentHash: ruleSet.contentHash,
          effectiveFrom: ruleSet.effectiveFrom,
          effectiveTo: ruleSet.effectiveTo,
          file,
        }),
      );
  }

  /** Every version, ordered by set id then version. */
  list(): RuleSetVersionSummary[] {
    return [...this.summaries];
  }

  setIds(): string[] {
    return [...new Set(this.list().map((s) => s.id))];
  }

  versions(id: string): string[] {
    return this.list()
      .filter((s) => s.id === id)
      .map((s) => s.version);
  }

  get(id: string, version: string): CompiledRuleSet | undefined {
    return this.byKey.get(key(id, version))?.ruleSet;
  }

  all(): CompiledRuleSet[] {
    return this.list().map((s) => this.get(s.id, s.version) as CompiledRuleSet);
  }

  /** The version in force on `date`: the latest effective_from on or before it, still open on it. */
  effectiveOn(id: string, date: string): CompiledRuleSet | undefined {
    const candidates = this.summaries.filter((s) => s.id === id && s.effectiveFrom <= date && (s.effectiveTo === null || date <= s.effectiveTo));
    candidates.sort((a, b) => (a.effectiveFrom === b.effectiveFrom ? compareVersions(a.version, b.version) : a.effectiveFrom < b.effectiveFrom ? -1 : 1));
    const chosen = candidates[candidates.length - 1];
    return chosen ? this.get(chosen.id, chosen.version) : undefined;
  }
}

const key = (id: string, version: string) => `${id}@${version}`;

/** YYYY.N(-suffix): by year, then N, then suffix (none first). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const match = /^(\d+)\.(\d+)(?:-(.*))?$/.exec(v);
    return match ? [Number(match[1]), Number(match[2]), match[3] ?? ''] as const : ([0, 0, v] as const);
  };
  const [ya, na, sa] = parse(a);
  const [yb, nb, sb] = parse(b);
  return ya - yb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
}

/** Reads every rule file under `rulesDir`, returning the good ones and the problems of the bad ones. */
export function scanRulesDir(rulesDir: string): { registry: RuleRegistry; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const entries: { ruleSet: CompiledRuleSet; file: string }[] = [];
  if (!existsSync(rulesDir) || !statSync(rulesDir).isDirectory()) {
    problems.push({ file: rulesDir, path: '(directory)', line: null, column: null, message: 'rules directory not found', expected: 'a directory holding <rule-set-id>/<version>.yaml' });
    return { registry: new RuleRegistry([]), problems };
  }
  for (const file of ruleFilesIn(rulesDir, problems)) {
    const parsed = checkRuleFile(file);
    problems.push(...parsed.problems.map((p) => ({ ...p, file: relative(process.cwd(), p.file) || p.file })));
    if (parsed.ruleSet) entries.push({ ruleSet: parsed.ruleSet, file });
  }
  return { registry: new RuleRegistry(entries), problems };
}

/** Start-up: every file must be valid, or nothing starts (RuleFileError lists all problems). */
export function loadRuleRegistry(rulesDir: string): RuleRegistry {
  const { registry, problems } = scanRulesDir(rulesDir);
  if (problems.length > 0) throw new RuleFileError(problems);
  return registry;
}

function ruleFilesIn(rulesDir: string, problems: RuleProblem[]): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(rulesDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(rulesDir, entry.name);
    if (entry.isFile() && RULE_FILE_NAME.test(entry.name)) {
      problems.push({ file: full, path: '(file)', line: null, column: null, message: 'rule files live one folder down', expected: `${rulesDir}/<rule-set-id>/<version>.yaml` });
    }
    if (!entry.isDirectory()) continue;
    for (const inner of readdirSync(full, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (inner.isFile() && RULE_FILE_NAME.test(inner.name)) files.push(join(full, inner.name));
    }
  }
  return files;
}

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as object;
  // The schema (our own file) is compiled by Ajv; rule file text is only ever data.
  validator = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

/** The schema sits at <repo>/schema whether this module runs from src/ or from a build in dist/. */
export function schemaPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../schema/rule-file.schema.json'), join(here, '../../../schema/rule-file.schema.json')];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

function schemaProblems(errors: ErrorObject[]): { path: PathSegment[]; message: string; expected?: string }[] {
  return errors
    .filter((e) => e.keyword !== 'if' && e.keyword !== 'allOf')
    .map((error) => {
      const path: PathSegment[] = error.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const params = error.params as Record<string, unknown>;
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      switch (error.keyword) {
        case 'required':
          return { path, message: `missing "${String(params.missingProperty)}"`, expected: `a "${String(params.missingProperty)}" entry` };
        case 'additionalProperties': {
          const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
          return { path: [...path, String(params.additionalProperty)], message: `unknown key "${String(params.additionalProperty)}"`, expected: allowed.length ? allowed.join(', ') : undefined };
        }
        case 'enum':
          return { path, message: 'is not an allowed value', expected: (params.allowedValues as unknown[]).join(' | ') };
        case 'type':
          return { path, message: `has the wrong type`, expected: String(params.type) + (path[0] === 'version' ? " (quote it: version: '2025.1')" : '') };
        case 'pattern':
          return { path, message: 'has the wrong format', expected: description ?? `text matching ${String(params.pattern)}` };
        default:
          return { path, message: error.message ?? `fails ${error.keyword}`, expected: description };
      }
    });
}

function dedupe(problems: RuleProblem[]): RuleProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface RecordedRuleVersion {
  ruleSetId: string;
  version: string;
  contentHash: string;
}

/**
 * A version is immutable once a rating used it. Given the hashes recorded at first use (the
 * rule_versions table), returns a problem for every file that now hashes differently; a version
 * whose file disappeared is reported too, since its ratings could no longer be explained.
 */
export function changedRuleVersions(registry: RuleRegistry, recorded: readonly RecordedRuleVersion[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const used of recorded) {
    const current = registry.list().find((s) => s.id === used.ruleSetId && s.version === used.version);
    const file = current?.file ?? `${used.ruleSetId}/${used.version}.yaml`;
    if (!current) {
      problems.push({ file, path: '(file)', line: null, column: null, message: `version ${used.version} of ${used.ruleSetId} was used by ratings but its file is missing`, expected: `the file with content hash ${used.contentHash}` });
    } else if (current.contentHash !== used.contentHash) {
      problems.push({
        file,
        path: '(file)',
        line: null,
        column: null,
        message: `the file changed after ratings used version ${used.version} (now ${current.contentHash})`,
        expected: `the original content (${used.contentHash}); publish changes as a new version file instead`,
      });
    }
  }
  return problems;
}
