/**
 * The load generator of bench rows d and e, forked by bench/http.ts so autocannon does not share an
 * event loop with the server it measures. Receives jobs over IPC, one at a time, prints nothing,
 * answers each over IPC; exits when the parent disconnects.
 */
import autocannon from 'autocannon';

interface Job {
  url: string;
  headers: Record<string, string>;
  bodies: string[];
  connections: number;
  durationSeconds: number;
}

/** Runs one job and answers with its figures. */
async function run(job: Job) {
  let next = 0;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...job.headers },
    connections: job.connections,
    duration: job.durationSeconds,
    requests: [{ setupRequest: (req) => ({ ...req, body: job.bodies[next++ % job.bodies.length]! }) }],
  });
  return {
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

// Jobs arrive one at a time (the parent waits for each answer); the parent disconnecting ends the process.
process.on('message', (job) => {
  void run(job as Job).then(
    (answer) => process.send!(answer),
    (error: unknown) => process.send!({ error: String(error) }),
  );
});
