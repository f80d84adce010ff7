/** The demo's `/tasks` page: recent background tasks, server-rendered, refreshing itself. */

import type { Supervisor, TaskRecord } from '../src/web/index.js';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

function duration(task: TaskRecord, now: number): string {
  const from = task.startedAt ?? task.spawnedAt;
  const ms = (task.endedAt ?? now) - from;
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

export function renderTasksPage(supervisor: Supervisor): string {
  const now = Date.now();
  const stats = supervisor.stats();
  const rows = supervisor
    .recent()
    .map(
      (task) => `      <tr class="${task.state}" data-id="${task.id}">
        <td>${task.id}</td>
        <td>${escapeHtml(task.name)}</td>
        <td class="state">${task.state}</td>
        <td>${duration(task, now)}${task.endedAt === undefined ? ' so far' : ''}</td>
        <td>${task.error === undefined ? '' : escapeHtml(task.error)}</td>
      </tr>`,
    )
    .join('\n');
  return refreshingPage(
    'weft: background tasks',
    `table { min-width: 40rem; }
    .completed .state { color: #080; } .failed .state { color: #c00; } .cancelled .state { color: #a60; }`,
    `  <h1>Background tasks</h1>
  <p id="stats">running ${stats.running} · pending ${stats.pending} · completed ${stats.completed} · failed ${stats.failed} · cancelled ${stats.cancelled}</p>
  <table>
    <thead><tr><th>#</th><th>task</th><th>state</th><th>duration</th><th>error</th></tr></thead>
    <tbody>
${rows || '      <tr><td colspan="5">No background task yet: try <a href="/">/</a> or <a href="/report?ms=5000">/report</a>.</td></tr>'}
    </tbody>
  </table>
  <p>Refreshes every 2 s.</p>`,
  );
}

/** A page of the demo's that reloads itself every 2 s: its title, its own CSS, its body. */
export function refreshingPage(title: string, css: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="refresh" content="2">
  <title>${title}</title>
  <style>
    body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
    table { border-collapse: collapse; }
    th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #ddd; }
    .running .state { color: #06c; } .pending .state { color: #888; }
    ${css}
  </style>
</head>
<body>
${body}
</body>
</html>
`;
}
