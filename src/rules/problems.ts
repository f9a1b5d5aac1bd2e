import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * A problem found in a rule file, located precisely enough for a bureau analyst to fix it without
 * reading code: the file, the path inside it (`categories[0].indicators[3].table[1].points`), the line
 * and column, what is wrong and what was expected.
 */
export interface RuleProblem {
  file: string;
  path: string;
  line: number | null;
  column: number | null;
  message: string;
  expected?: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}

export function formatProblem(problem: RuleProblem): string {
  const where = problem.line === null ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  const expected = problem.expected ? ` (expected: ${problem.expected})` : '';
  return `${where} ${problem.path}: ${problem.message}${expected}`;
}

export class RuleFileError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`${problems.length} problem(s) in rule files:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'RuleFileError';
  }
}

/** Maps a path inside the parsed document back to a 1-based line and column of the YAML source. */
export class SourceLocator {
  constructor(
    private readonly document: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  locate(path: readonly PathSegment[]): { line: number | null; column: number | null } {
    if (!this.document || !this.lines) return { line: null, column: null };
    const offset = this.deepestOffset(path);
    if (offset === null) return { line: null, column: null };
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** The deepest node on the path that exists: a missing key points at its parent mapping. */
  private deepestOffset(path: readonly PathSegment[]): number | null {
    let node: unknown = this.document?.contents ?? null;
    let offset = rangeStart(node);
    for (const segment of path) {
      const next = childOf(node, segment);
      if (!next) break;
      node = next.value;
      offset = rangeStart(next.value) ?? rangeStart(next.key) ?? offset;
    }
    return offset;
  }
}

function childOf(node: unknown, segment: PathSegment): { key: unknown; value: unknown } | null {
  if (isMap(node)) {
    const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
    return pair ? { key: pair.key, value: pair.value ?? pair.key } : null;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item ? { key: null, value: item } : null;
  }
  return null;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : null;
}
