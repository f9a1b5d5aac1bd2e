import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line (pino JSON) so far. */
  lines: string[];
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * `npm start`'s entry point (src/main.ts) as a real child process, so a test can send it real signals.
 * Resolves once it logs that it is listening.
 */
export async function spawnService(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', SEED_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code, signal]) => (signal as string | null) ?? (code as number));
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      let entry: { msg?: string; url?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // not a log line
      }
      if (entry.msg === 'envcredit listening' && entry.url) {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${how}) before listening: ${stderr}`));
    });
  });
  return { child, url, lines, exited };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
