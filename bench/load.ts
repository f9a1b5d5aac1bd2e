/**
 * The load generator of bench rows d and e, forked by bench/http.ts so autocannon does not share an
 * event loop with the server it measures. Receives one job over IPC, prints nothing, answers over IPC.
 */
import autocannon from 'autocannon';

interface Job {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  durationSeconds: number;
}

const job = await new Promise<Job>((resolve) => process.once('message', (m) => resolve(m as Job)));
let next = 0;
const result = await autocannon({
  url: job.url,
  method: 'POST',
  headers: { 'content-type': 'application/json', ...job.headers },
  connections: job.connections,
  duration: job.durationSeconds,
  requests: [{ setupRequest: (req) => ({ ...req, body: job.bodies[next++ % job.bodies.length]! }) }],
});
process.send!({
  requestsPerSecond: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
});
process.disconnect();
