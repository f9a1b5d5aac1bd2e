// Entry point of a rating worker thread when the service runs from its TypeScript source (npm start,
// tests): registers tsx, as src/cli/envcredit.mjs does for the CLI. The compiled build starts
// dist/src/rating/evaluation-worker.js directly (evaluation-pool.ts chooses).
const { register } = await import('tsx/esm/api');
register();
await import(new URL('./evaluation-worker.ts', import.meta.url).href);
