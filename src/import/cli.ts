import { createReadStream, statSync } from 'node:fs';
import type { DatabaseHandle } from '../db/connect.ts';
import { csvHeader, csvLines, generateChunks, GENERATED_KINDS, type GenerateOptions } from './generate.ts';
import { adjustAfterImport, hasPendingAdjustments, PendingAdjustmentsError, retryPendingAdjustments, type PendingAdjustmentServices } from '../rating/pending-adjustments.ts';
import { runImport, type ImportOptions, type ImportReport, type ImportTarget } from './importer.ts';
import type { ImportKindName } from './kinds.ts';
import { decodeUtf8, ImportFileError, type ImportFormat } from './read-records.ts';

/** Glue for `envcredit import` and `envcredit generate --load`. */

export function importTarget(handle: DatabaseHandle): ImportTarget {
  return handle.pool ? { pool: handle.pool } : { db: handle.db };
}

export function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** The bytes of a file, reporting bytes read. */
async function* fileBytes(path: string, onBytes?: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      onBytes?.(bytes);
      yield chunk;
    }
  } catch (error) {
    // A read the file system refuses (permission denied, an I/O error): one line, not a stack trace.
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new ImportFileError(`cannot be read (${code})`);
    throw error;
  }
}

/**
 * UTF-8 text chunks of a file. Decoded strictly, not with the stream's own decoder, which would
 * turn a file in another encoding into U+FFFD and store it garbled.
 */
function fileChunks(path: string, onBytes?: (bytes: number) => void): AsyncGenerator<string> {
  return decodeUtf8(fileBytes(path, onBytes));
}

export interface ImportFileOptions {
  kind: ImportKindName;
  format: ImportFormat;
  dryRun: boolean;
  actor: string;
  /** Draw a progress bar (bytes read) on stderr. */
  progress?: boolean;
  /** See ImportOptions.adjustments. */
  adjustments?: ImportOptions['adjustments'];
}

/**
 * The size of the file to import, or an ImportFileError (which the command prints as one line, exit
 * status 1) when there is no such file or it is not a regular file: what the file system throws would
 * otherwise end the command with a stack trace, and a directory only once it is opened for reading.
 */
function importFileSize(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportFileError(code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`);
  }
  if (!stats.isFile()) throw new ImportFileError(stats.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
  return stats.size;
}

export async function importFile(handle: DatabaseHandle, path: string, options: ImportFileOptions): Promise<ImportReport> {
  const size = importFileSize(path);
  let last = 0;
  const onBytes = options.progress
    ? (bytes: number) => {
        const now = Date.now();
        if (now - last < 200 && bytes < size) return;
        last = now;
        process.stderr.write(`\r${progressBar(Math.round(bytes / 1024), Math.round(size / 1024))} KiB`);
      }
    : undefined;
  try {
    return await runImport(importTarget(handle), fileChunks(path, onBytes), {
      kind: options.kind,
      format: options.format,
      actor: options.actor,
      dryRun: options.dryRun,
      adjustments: options.adjustments,
    });
  } finally {
    if (options.progress) process.stderr.write('\n');
  }
}

/** How `envcredit import` makes dynamic adjustments. */
export interface ImportAdjusting {
  /** Who the adjustments a violations import owes are recorded as. */
  adjustAs: string;
  /** What making them needs; called only when there are some to make (it may load the rule files). */
  services: () => PendingAdjustmentServices;
}

/** An import's report, and why the adjustments it owes are still pending when they could not be made. */
export interface AdjustedImport {
  report: ImportReport;
  pending?: PendingAdjustmentsError;
}

/**
 * `envcredit import`: first the adjustments an earlier import left pending (its process died after
 * its commit), then the import and, for violations, once it has committed, the adjustments it owes
 * (report.dynamicAdjustments). A dry run writes nothing, so makes none.
 */
export async function importFileAndAdjust(handle: DatabaseHandle, path: string, options: ImportFileOptions, adjusting: ImportAdjusting): Promise<AdjustedImport> {
  if (!options.dryRun && (await hasPendingAdjustments(handle.db))) await retryPendingAdjustments(adjusting.services());
  let pendingId: number | undefined;
  const owes = options.kind === 'violations' && !options.dryRun;
  const report = await importFile(handle, path, {
    ...options,
    ...(owes ? { adjustments: { actor: adjusting.adjustAs, recorded: (id: number) => (pendingId = id) } } : {}),
  });
  if (!owes) return { report };
  if (pendingId === undefined) return { report: { ...report, dynamicAdjustments: 0 } };
  try {
    return { report: { ...report, dynamicAdjustments: await adjustAfterImport(adjusting.services(), pendingId) } };
  } catch (error) {
    if (error instanceof PendingAdjustmentsError) return { report, pending: error };
    throw error;
  }
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

/** Generates and imports, chunk by chunk (each kind of each chunk in its own import transaction). */
export async function loadGenerated(handle: DatabaseHandle, options: GenerateOptions, onChunk?: (done: number) => void): Promise<Record<ImportKindName, number>> {
  const counts = Object.fromEntries(GENERATED_KINDS.map((k) => [k, 0])) as Record<ImportKindName, number>;
  let done = 0;
  for (const chunk of generateChunks(options)) {
    for (const kind of GENERATED_KINDS) {
      const report = await runImport(importTarget(handle), once(csvHeader(kind) + csvLines(kind, chunk[kind])), { kind, format: 'csv', actor: 'generator' });
      if (report.rejected > 0) throw new Error(`generated ${kind} were rejected: ${JSON.stringify(report.rejections.slice(0, 3))}`);
      counts[kind] += report.applied;
    }
    done += chunk.enterprises.length;
    onChunk?.(done);
  }
  return counts;
}
