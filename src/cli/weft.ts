#!/usr/bin/env node
// The `weft` command (package.json "bin"): `weft ps PID`, `weft pstree PID`.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
