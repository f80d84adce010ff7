/**
 * The LISTEN connection: one dedicated connection per open store while a
 * worker runs, so an idle worker hears of a new job (or of a cancel for a
 * job it runs) within milliseconds instead of its next poll. Polling stays
 * as the fallback: a notification lost while this connection was down is
 * covered by `onReconnect` (claim and check now) and by the polls.
 *
 * @module
 */

import type pg from 'pg';
import { quoteIdent } from './migrate.js';

/** @internal What the listener reports. */
export interface ListenerEvents {
  notify(payload: string): void;
  /** Connected again after a loss: notifications may have been missed. */
  reconnected(): void;
  /** The connection failed (once per outage, for reports). */
  failed(error: Error): void;
}

const STATES = ['idle', 'connecting', 'listening', 'waiting', 'closed'] as const;

/** @internal */
export class Listener {
  private client: pg.Client | undefined;
  private state: (typeof STATES)[number] = 'idle';
  private retryMs = 100;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly Client: typeof pg.Client,
    private readonly config: object,
    private readonly channel: string,
    private readonly events: ListenerEvents,
  ) {}

  /** Connect and LISTEN; a failure is retried with backoff, never thrown. */
  start(): void {
    if (this.state !== 'idle') return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const client = new this.Client(this.config);
    this.client = client;
    // A connection error after connect (the database restarted) is an event:
    // without a listener it would crash the process.
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client, new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.events.notify(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (error) {
      this.lose(client, error as Error);
      return;
    }
    if (this.client !== client || (this.state as string) === 'closed') return;
    this.state = 'listening';
    this.retryMs = 100;
    if (this.lost) {
      this.lost = false;
      this.events.reconnected();
    }
  }

  /** The connection is gone: report once, reconnect after a backoff (100 ms doubling to 5 s). */
  private lose(client: pg.Client, error: Error): void {
    if (this.client !== client || this.state === 'closed' || this.state === 'waiting') return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    if (!this.lost) this.events.failed(error);
    this.lost = true;
    this.state = 'waiting';
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.state === 'waiting') void this.connect();
      },
      this.retryMs * (0.5 + Math.random()),
    );
    // A reconnect pending must not keep a process alive that has nothing else to do.
    this.timer.unref();
    this.retryMs = Math.min(5_000, this.retryMs * 2);
  }

  async close(): Promise<void> {
    this.state = 'closed';
    if (this.timer !== undefined) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => {});
  }

  toString(): string {
    return `Listener<${this.channel} ${this.state}>`;
  }
}
