// Composes subgraph SDLs into a supergraph with The Guild's federation composition (MIT) and
// prints one JSON object: {errors, supergraphSdl}.
// Usage: node tests/federation/compose.mjs NAME=URL=FILE [NAME=URL=FILE …]
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const services = process.argv.slice(2).map((arg) => {
  const [name, url, file] = arg.split('=');
  if (!name || !url || !file) {
    console.error('usage: node tests/federation/compose.mjs NAME=URL=FILE …');
    process.exit(2);
  }
  return { name, url, typeDefs: parse(readFileSync(file, 'utf8')) };
});
const result = composeServices(services);
console.log(JSON.stringify({
  errors: (result.errors ?? []).map((e) => e.message),
  supergraphSdl: result.supergraphSdl ?? null,
}));
