// A real federation gateway (Hive Gateway, MIT) in front of the subgraphs of a supergraph, passing
// each client's Authorization header on to them. Prints `ready` once it listens.
// Usage: node tests/federation/gateway.mjs SUPERGRAPH_FILE PORT
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createGatewayRuntime } from '@graphql-hive/gateway';

const [file, port] = process.argv.slice(2);
if (!file || !port) {
  console.error('usage: node tests/federation/gateway.mjs SUPERGRAPH_FILE PORT');
  process.exit(2);
}
const gateway = createGatewayRuntime({
  supergraph: readFileSync(file, 'utf8'),
  logging: 'error',
  // The subgraphs' errors reach the client with their codes (FORBIDDEN, UNAUTHENTICATED, …).
  maskedErrors: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get('authorization'),
      'accept-language': request.headers.get('accept-language'),
    }),
  },
});
const server = createServer(gateway);
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
