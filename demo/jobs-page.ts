/** The demo's `/jobs` page: the job store's counts and recent jobs, with cancel and retry buttons. */

import type { JobState } from '../src/jobs/index.js';
import type { JobView } from './jobs.js';
import { escapeHtml, refreshingPage } from './tasks-page.js';

const STATES: JobState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

/** `2026-11-30 16:31:10Z`: seconds are enough here. */
function time(date: Date | undefined): string {
  return date === undefined ? '' : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A stored JSON value, shown as text: a string as itself, anything else as JSON. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return '';
  return escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A button that POSTs (a plain form: no script needed). */
function button(job: JobView, action: 'cancel' | 'retry'): string {
  const id = encodeURIComponent(job.id);
  return `<form method="post" action="/jobs/${escapeHtml(id)}/${action}"><button class="${action}">${action}</button></form>`;
}

function actions(job: JobView): string {
  if (job.state === 'pending' || job.state === 'running') return button(job, 'cancel');
  if (job.state === 'failed' || job.state === 'cancelled') return button(job, 'retry');
  return '';
}

function times(job: JobView, now: number): string {
  const parts = [`created ${time(job.createdAt)}`];
  if (job.state === 'pending' && job.runAt.getTime() > now)
    parts.push(`runs at ${time(job.runAt)}`);
  if (job.startedAt !== undefined) parts.push(`started ${time(job.startedAt)}`);
  if (job.finishedAt !== undefined) parts.push(`finished ${time(job.finishedAt)}`);
  return parts.join('<br>');
}

export function renderJobsPage(counts: Record<JobState, number>, jobs: JobView[]): string {
  const now = Date.now();
  const stats = STATES.map((state) => `${state} ${counts[state] ?? 0}`).join(' · ');
  const rows = jobs
    .map(
      (job) => `      <tr class="${escapeHtml(job.state)}" data-id="${escapeHtml(job.id)}">
        <td>${escapeHtml(job.id)}</td>
        <td>${escapeHtml(job.name)}</td>
        <td>${shown(job.payload)}</td>
        <td class="state">${escapeHtml(job.state)}</td>
        <td>${job.attempts}/${job.maxAttempts}</td>
        <td class="progress">${shown(job.progress)}</td>
        <td class="error">${job.error === undefined ? '' : escapeHtml(job.error.message)}</td>
        <td class="times">${times(job, now)}</td>
        <td>${actions(job)}</td>
      </tr>`,
    )
    .join('\n');
  return refreshingPage(
    'weft: durable jobs',
    `table { min-width: 50rem; }
    td { vertical-align: top; }
    form { margin: 0; }
    .succeeded .state { color: #080; } .failed .state { color: #c00; } .cancelled .state { color: #a60; }
    .times { color: #666; font-size: 12px; }`,
    `  <h1>Durable jobs</h1>
  <p id="counts">${stats}</p>
  <table>
    <thead><tr><th>#</th><th>job</th><th>payload</th><th>state</th><th>attempts</th><th>progress</th><th>error</th><th>times (UTC)</th><th></th></tr></thead>
    <tbody>
${rows || '      <tr><td colspan="9">No job yet: try <a href="/signup?email=ada@example.com">/signup?email=ada@example.com</a>.</td></tr>'}
    </tbody>
  </table>
  <p>Newest first; refreshes every 2 s. Background tasks (not durable): <a href="/tasks">/tasks</a>.</p>`,
  );
}
