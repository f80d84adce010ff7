/**
 * The parts of `pg` (node-postgres) the PostgreSQL store uses, as
 * structural types: weft's published types never need `@types/pg`, and a
 * `pg.Pool`, `pg.Client` or `pg.PoolClient` fits them as is.
 *
 * @module
 */

/** A query's result, as `pg` resolves it. */
export interface PostgresResult {
  rows: unknown[];
  rowCount: number | null;
}

/** A connection that runs queries: a `pg.Client`, or a `pg.PoolClient` from `pool.connect()`. */
export interface PostgresClient {
  query(text: string, values?: unknown[]): Promise<PostgresResult>;
}

/** A connection checked out of a pool. */
export interface PostgresPoolClient extends PostgresClient {
  release(error?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** A pool of connections: a `pg.Pool`. */
export interface PostgresPool extends PostgresClient {
  /** The pool's connection settings (the store's LISTEN connection uses them too). */
  readonly options: object;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}
