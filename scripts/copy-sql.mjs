#!/usr/bin/env node
// `npm run build` runs this after tsc: the PostgreSQL store's migrations are
// .sql files read at run time from beside the compiled module, and tsc
// copies only what it compiles.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

const from = new URL('../src/jobs/postgres/migrations/', import.meta.url);
const to = new URL('../dist/jobs/postgres/migrations/', import.meta.url);
rmSync(to, { recursive: true, force: true }); // a removed file must not linger in dist/
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from)) {
  if (file.endsWith('.sql')) cpSync(new URL(file, from), new URL(file, to));
}
