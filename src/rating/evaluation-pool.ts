import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { EvidenceSet } from '../evidence/evidence-set.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import type { RatingPeriod } from './period.ts';
import { rateEnterprise } from './rate-enterprise.ts';
import type { NewRating } from './run-store.ts';
import type { EvaluationRequest, EvaluationResponse } from './evaluation-worker.ts';

/** One enterprise's rating as stored, before the run's id and knowledge cut-off are attached. */
export type RatedRow = Omit<NewRating, 'runId' | 'evidenceKnownAt'>;

/** Rates batches of evidence sets: in worker threads (EvaluationPool) or on the calling thread (inlineEvaluator). */
export interface BatchEvaluator {
  /** Rows in the order of `sets`, and the milliseconds spent evaluating. */
  rate(rules: CompiledRuleSet, sets: EvidenceSet[], period: RatingPeriod): Promise<{ rows: RatedRow[]; ms: number }>;
  /** Batches that may usefully be in flight at once. */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** Enterprises rated between two turns of the event loop on the calling thread. */
const INLINE_SLICE = 50;

/**
 * Evaluation on the calling thread: for RATING_WORKERS=0, and wherever no pool was made. It gives
 * the event loop a turn every INLINE_SLICE enterprises, so the next batch's queries go out and their
 * rows are read while this one is rated, and a service stays responsive during a run.
 */
export const inlineEvaluator: BatchEvaluator = {
  parallelism: 1,
  async rate(rules, sets, period) {
    const rows: RatedRow[] = [];
    let ms = 0;
    for (let i = 0; i < sets.length; i += INLINE_SLICE) {
      await setImmediate();
      const started = performance.now();
      for (const set of sets.slice(i, i + INLINE_SLICE)) rows.push(rateEnterprise(rules, set, period).row);
      ms += performance.now() - started;
    }
    return { rows, ms };
  },
  async close() {},
};

interface Pending {
  resolve: (value: { rows: RatedRow[]; ms: number }) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The worker's entry: the compiled file next to this one, or the tsx shim when running from source. */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./evaluation-worker.mjs', import.meta.url) : new URL('./evaluation-worker.js', import.meta.url);
}

/**
 * Rating worker threads. A full re-rate spends most of its CPU in evaluation, canonical JSON and
 * hashing (docs/PERFORMANCE.md, row b); on the main thread that work competes with parsing the
 * evidence rows it is waiting for. Here it runs on other cores while the main thread loads and writes.
 *
 * Workers start on the first batch (a service that never rates starts none), take batches round
 * robin, and compile each rule version once from the same parsed file and content hash the main
 * thread holds, so their bytes are the main thread's bytes (test/integration/evaluation-pool.test.ts).
 * A worker that dies fails the batches it held and is replaced on the next batch.
 */
export class EvaluationPool implements BatchEvaluator {
  private readonly workers: (PoolWorker | undefined)[];
  private nextWorker = 0;
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`EvaluationPool: size must be a positive whole number, not ${size}`);
    this.workers = Array.from({ length: size }, () => undefined);
  }

  get parallelism(): number {
    return this.size;
  }

  rate(rules: CompiledRuleSet, sets: EvidenceSet[], period: RatingPeriod): Promise<{ rows: RatedRow[]; ms: number }> {
    if (this.closed) return Promise.reject(new Error('the rating worker pool is closed'));
    const slot = this.nextWorker;
    this.nextWorker = (this.nextWorker + 1) % this.size;
    const target = (this.workers[slot] ??= this.spawn(slot));
    const id = this.nextId++;
    const request: EvaluationRequest = { id, rules: { file: rules.file, contentHash: rules.contentHash }, period, sets };
    return new Promise((resolve, reject) => {
      if (target.pending.size === 0) target.worker.ref(); // a batch in flight keeps the process alive
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage(request);
    });
  }

  private spawn(slot: number): PoolWorker {
    // execArgv: [] — the shim registers tsx itself; inheriting a parent's loader flags would load it twice.
    const worker = new Worker(workerEntry(), { execArgv: [], name: `envcredit-rating-${slot}` });
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.on('message', (response: EvaluationResponse) => {
      const waiting = entry.pending.get(response.id);
      if (!waiting) return;
      entry.pending.delete(response.id);
      if (entry.pending.size === 0) worker.unref(); // an idle worker never keeps a process from exiting
      if ('error' in response) waiting.reject(new Error(response.error));
      else waiting.resolve({ rows: response.rows.map(asBufferBytes), ms: response.ms });
    });
    const fail = (error: Error) => {
      if (this.workers[slot] === entry) this.workers[slot] = undefined;
      for (const waiting of entry.pending.values()) waiting.reject(error);
      entry.pending.clear();
    };
    worker.on('error', (error) => fail(error instanceof Error ? error : new Error(String(error))));
    worker.on('exit', (code) => fail(new Error(`rating worker stopped (exit code ${code})`)));
    worker.unref();
    return entry;
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.workers.filter((w): w is PoolWorker => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(running.map((w) => w.worker.terminate()));
  }
}

/** RATING_WORKERS: 0 rates on the main thread; otherwise a pool of that many threads. */
export function createEvaluator(workers: number): BatchEvaluator {
  return workers > 0 ? new EvaluationPool(workers) : inlineEvaluator;
}

/** A row as rated on this thread: structured cloning turns a result's Buffer into a plain Uint8Array (same memory, viewed again). */
function asBufferBytes(row: RatedRow): RatedRow {
  const bytes = row.resultBytes;
  return bytes && !Buffer.isBuffer(bytes) ? { ...row, resultBytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) } : row;
}
