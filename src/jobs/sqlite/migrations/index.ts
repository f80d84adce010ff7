/**
 * The SQLite store's migrations, in order: one operation each, numbered by
 * file. A migration is never edited once released; a change is a new file.
 */
import * as m001 from './001-jobs-table.js';
import * as m002 from './002-ready-index.js';
import * as m003 from './003-lease-index.js';
import * as m004 from './004-active-key-index.js';
import * as m005 from './005-finished-index.js';
import * as m006 from './006-created-index.js';
import * as m007 from './007-schedules-table.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: 'jobs-table', sql: m001.sql },
  { version: 2, name: 'ready-index', sql: m002.sql },
  { version: 3, name: 'lease-index', sql: m003.sql },
  { version: 4, name: 'active-key-index', sql: m004.sql },
  { version: 5, name: 'finished-index', sql: m005.sql },
  { version: 6, name: 'created-index', sql: m006.sql },
  { version: 7, name: 'schedules-table', sql: m007.sql },
];
