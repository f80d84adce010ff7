/**
 * Module hook of bench:jobs (see driver.ts): `better-sqlite3` resolves to
 * the copy in `data.dir` (a node_modules directory holding a build for the
 * running Node's ABI) instead of the project's own.
 */

let entry;

export function initialize(data) {
  entry = new URL('better-sqlite3/lib/index.js', `file://${data.dir.replace(/\/?$/, '/')}`).href;
}

export function resolve(specifier, context, next) {
  if (specifier === 'better-sqlite3') return { url: entry, format: 'commonjs', shortCircuit: true };
  return next(specifier, context);
}
