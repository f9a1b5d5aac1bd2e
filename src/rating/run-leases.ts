import type pg from 'pg';

/** The advisory-lock class of run leases (two-key form, so it never meets the hashtext single-key locks). */
const RUN_LEASE_CLASS = 0x656e7643; // 'envC'

/**
 * A run lease: a session-level advisory lock on (RUN_LEASE_CLASS, run id), held on a connection of its
 * own for as long as the run executes. PostgreSQL drops it the moment that connection goes, so when a
 * process dies mid-run (killed, out of memory, machine lost) the lease goes with it. That lets a
 * starting instance tell a run another live instance is executing — leave it alone — from one whose
 * process is gone — mark it FAILED — which an in-process list of runs cannot do across instances.
 *
 * PostgreSQL only: the embedded PGlite has one process and one connection, where the tracker's own
 * list of runs is the whole truth.
 */
export class RunLeases {
  constructor(private readonly pool: pg.Pool) {}

  /** Takes the lease; the returned function gives it back and returns the connection. */
  async hold(runId: number): Promise<() => Promise<void>> {
    const client = await this.pool.connect();
    try {
      await client.query('select pg_advisory_lock($1, $2)', [RUN_LEASE_CLASS, runId]);
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return async () => {
      try {
        await client.query('select pg_advisory_unlock($1, $2)', [RUN_LEASE_CLASS, runId]);
        client.release();
      } catch (error) {
        client.release(error as Error); // a broken connection is discarded, and its locks with it
      }
    };
  }

  /** True when some other live session holds the run's lease. */
  async isHeldElsewhere(runId: number): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ free: boolean }>('select pg_try_advisory_lock($1, $2) as free', [RUN_LEASE_CLASS, runId]);
      if (!rows[0]!.free) return true;
      await client.query('select pg_advisory_unlock($1, $2)', [RUN_LEASE_CLASS, runId]);
      return false;
    } finally {
      client.release();
    }
  }
}
