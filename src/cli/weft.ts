#!/usr/bin/env node
// The `weft` command (package.json "bin"): `weft ps PID`, `weft pstree PID`.
import { main } from './main.js';

// `weft ps PID | head`: a closed pipe ends the output, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});

process.exitCode = await main(process.argv.slice(2));
