// Runs the graphql-http audit of the GraphQL-over-HTTP spec against a running server and prints
// one JSON object: the counts by status and every audit that did not pass.
// Usage: node tests/node/http-audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node tests/node/http-audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const failed = [];
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    failed.push({ id: result.id, status: result.status, name: result.name, reason: result.reason });
  }
}
console.log(JSON.stringify({ total: results.length, ...counts, failed }));
