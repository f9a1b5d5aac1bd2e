import { createReadStream, statSync } from 'node:fs';
import type { DatabaseHandle } from '../db/connect.ts';
import { csvHeader, csvLines, generateChunks, GENERATED_KINDS, type GenerateOptions } from './generate.ts';
import { runImport, type ImportOptions, type ImportReport, type ImportTarget } from './importer.ts';
import type { ImportKindName } from './kinds.ts';
import { decodeUtf8, type ImportFormat } from './read-records.ts';

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
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    onBytes?.(bytes);
    yield chunk;
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
  /** See ImportOptions.onViolationsStored. */
  onViolationsStored?: ImportOptions['onViolationsStored'];
}

export async function importFile(handle: DatabaseHandle, path: string, options: ImportFileOptions): Promise<ImportReport> {
  const size = statSync(path).size;
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
      onViolationsStored: options.onViolationsStored,
    });
  } finally {
    if (options.progress) process.stderr.write('\n');
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
