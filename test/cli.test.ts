// `weft ps` / `weft pstree`: the formatters and cycle detection on literal
// snapshots, the WebSocket client against a local server, and the command
// run as a real subprocess against real Node processes with a known tree of
// weft tasks (test/fixtures/cli/tree.ts), including every error case.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCommand } from '../src/cli/args.js';
import { findCycles, formatCycles } from '../src/cli/cycles.js';
import { describeWait, formatDuration, oneLine } from '../src/cli/describe.js';
import { CliError, EXIT_CODES } from '../src/cli/errors.js';
import { main } from '../src/cli/main.js';
import { errorFor, inspectFlag } from '../src/cli/proc.js';
import { formatPs } from '../src/cli/ps.js';
import { buildTree, formatTree, type TreeNode } from '../src/cli/pstree.js';
import { snapshotProblem } from '../src/cli/read-snapshot.js';
import { WebSocketClient, WebSocketError } from '../src/cli/websocket.js';
import type { Snapshot, TaskSnapshot, WaitTarget } from '../src/snapshot-types.js';
import { serverFrame, startServer } from './fixtures/cli/ws-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = `${root}test/fixtures/cli/tree.ts`;

// ---------------------------------------------------------------------------
// Parsing the command's text output (structurally, never against golden text)

/** Rows of `weft ps` output, cells cut at the header's column starts. */
function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.trimEnd().split('\n');
  const header = lines[1]!;
  const names = header.split(/ {2,}/);
  const starts = names.map((n) => header.indexOf(n));
  return lines.slice(2).map((line) => {
    const row: Record<string, string> = {};
    names.forEach((n, i) => {
      row[n] = line.slice(starts[i], starts[i + 1] ?? line.length).trim();
    });
    return row;
  });
}

interface Drawn {
  label: string;
  children: Drawn[];
}

/** The lines of `weft pstree` output as nested nodes, by their box-drawing indentation. */
function parseTree(text: string): Drawn[] {
  const roots: Drawn[] = [];
  const stack: Drawn[][] = [roots];
  for (const line of text.trimEnd().split('\n').slice(1)) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*)$/.exec(line);
    assert.ok(match, `not a tree line: ${JSON.stringify(line)}`);
    const depth = match[1]!.length / 4;
    const node = { label: match[2]!, children: [] };
    stack.length = depth + 1;
    stack[depth]!.push(node);
    stack.push(node.children);
  }
  return roots;
}

const find = (nodes: Drawn[], prefix: RegExp) => nodes.find((n) => prefix.test(n.label));

// ---------------------------------------------------------------------------
// Literal snapshots

function task(partial: Partial<TaskSnapshot> & Pick<TaskSnapshot, 'id' | 'name'>): TaskSnapshot {
  return {
    state: 'waiting',
    cancelling: 0,
    parent: null,
    group: null,
    ageMs: 1500,
    waitingOn: [{ kind: 'promise', detail: 'fetch' }],
    location: null,
    stack: null,
    ...partial,
  };
}

function snap(tasks: TaskSnapshot[], groups: Snapshot['groups'] = []): Snapshot {
  return {
    pid: 77,
    node: 'v20.20.2',
    weft: '0.1.0',
    takenAt: 100_000,
    debug: false,
    tasks,
    groups,
  };
}

const on = (id: number): WaitTarget => ({ kind: 'task', id, name: `t${id}` });

describe('command line', () => {
  test('ps and pstree take a PID and options', () => {
    assert.deepEqual(parseCommand(['ps', '42']), {
      command: 'ps',
      pid: 42,
      json: false,
      timeoutMs: 5000,
      limit: 5000,
    });
    assert.deepEqual(parseCommand(['pstree', '--json', '--timeout', '250', '7']), {
      command: 'pstree',
      pid: 7,
      json: true,
      timeoutMs: 250,
      limit: 0,
    });
    assert.equal((parseCommand(['ps', '--limit', '20', '42']) as { limit: number }).limit, 20);
    assert.equal((parseCommand(['ps', '--limit=0', '42']) as { limit: number }).limit, 0);
    assert.equal((parseCommand(['ps', '42', '--all']) as { limit: number }).limit, 0);
    assert.deepEqual(parseCommand(['--help']), { command: 'help', topic: 'weft' });
    assert.deepEqual(parseCommand(['ps', '--help']), { command: 'help', topic: 'ps' });
    assert.deepEqual(parseCommand(['help', 'pstree']), { command: 'help', topic: 'pstree' });
    assert.deepEqual(parseCommand(['-V']), { command: 'version' });
  });

  test('bad command lines are usage errors naming the problem', () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Expected a command/],
      [['top', '1'], /Unknown command 'top'/],
      [['ps'], /Expected a PID/],
      [['ps', 'abc'], /Expected `PID` to be a positive integer, got 'abc'/],
      [['ps', '-5'], /Expected `PID` to be a positive integer, got '-5'/],
      [['ps', '0'], /got '0'/],
      [['ps', '1.5'], /got '1.5'/],
      [['ps', '99999999'], /at most 4194304/],
      [['ps', '1', '2'], /Expected one PID, got 2/],
      [['ps', '--frobnicate', '1'], /--frobnicate/],
      [['ps', '--timeout', '0', '1'], /`--timeout`.*got '0'/],
      [['ps', '--timeout', 'soon', '1'], /got 'soon'/],
      [
        ['ps', '--limit', 'many', '1'],
        /`--limit` to be a number of tasks >= 0 \(0 for all\), got 'many'/,
      ],
      [['ps', '--limit', '-1', '1'], /`--limit` to be a number >= 0, got '-1'/],
      [['ps', '--limit', '2.5', '1'], /`--limit`.*got '2\.5'/],
      [['ps', '--limit', '10', '--all', '1'], /--limit or --all, not both/],
      [['pstree', '--limit', '10', '1'], /--limit is an option of weft ps/],
      [['pstree', '--all', '1'], /--all is an option of weft ps/],
    ];
    for (const [args, message] of cases) {
      assert.throws(
        () => parseCommand(args),
        (err: unknown) =>
          err instanceof CliError &&
          err.code === 'USAGE' &&
          err.exitCode === 2 &&
          message.test(err.message),
        `weft ${args.join(' ')}`,
      );
    }
  });

  test('exit codes are distinct', () => {
    const codes = Object.values(EXIT_CODES);
    assert.equal(new Set(codes).size, codes.length);
    assert.ok(!codes.includes(0) && !codes.includes(1));
  });

  test('system errors map to their command errors', () => {
    const sys = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(errorFor(5, sys('ESRCH'), 'signal PID 5').code, 'NO_PROCESS');
    assert.equal(errorFor(5, sys('ENOENT'), 'read /proc/5/status').code, 'NO_PROCESS');
    for (const code of ['EPERM', 'EACCES']) {
      const err = errorFor(5, sys(code), 'signal PID 5');
      assert.equal(err.code, 'PERMISSION');
      assert.equal(err.exitCode, 6);
      assert.match(err.message, /Permission denied: cannot signal PID 5/);
      assert.equal(err.pid, 5);
    }
    assert.equal(errorFor(5, sys('EIO'), 'read /proc/5/fd').code, 'ATTACH');
  });

  test('--inspect flags on the command line or in NODE_OPTIONS', () => {
    assert.deepEqual(inspectFlag(['node', '--inspect', 'app.js'], ''), { port: 9229 });
    assert.deepEqual(inspectFlag(['node', '--inspect-brk=0.0.0.0:9333', 'a.js'], ''), {
      port: 9333,
    });
    assert.deepEqual(inspectFlag(['node', 'app.js'], '--inspect-wait=9444'), { port: 9444 });
    assert.deepEqual(inspectFlag(['node', '--inspect-port', '9555', '--inspect', 'a'], ''), {
      port: 9555,
    });
    assert.equal(inspectFlag(['node', '--inspect-port=9229', 'app.js'], ''), null);
    assert.equal(inspectFlag(['node', '--inspect-publish-uid=http', 'app.js'], ''), null);
    assert.equal(inspectFlag(['node', 'app.js'], '--max-old-space-size=100'), null);
  });
});

describe('formatting', () => {
  test('durations', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(999), '999ms');
    assert.equal(formatDuration(1000), '1.0s');
    assert.equal(formatDuration(59_990), '59.9s');
    assert.equal(formatDuration(60_000), '1m00s');
    assert.equal(formatDuration(3_600_000), '1h00m');
    assert.equal(formatDuration(-5), '0ms');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'forever');
  });

  test('every kind of wait in words', () => {
    const s = snap(
      [task({ id: 4, name: 'fetcher' })],
      [{ id: 2, owner: 1, state: 'open', tasks: [5, 6] }],
    );
    const cases: Array<[WaitTarget, RegExp]> = [
      [
        { kind: 'sleep', ms: 5000, until: 102_900 },
        /^sleep 5\.0s until \d\d:\d\d:\d\d\.\d{3} \(2\.9s left\)$/,
      ],
      [{ kind: 'task', id: 4, name: 'stale' }, /^task #4 fetcher$/],
      [{ kind: 'task', id: 9, name: 'gone' }, /^task #9 gone$/],
      [{ kind: 'tasks', via: 'gather', ids: [5, 6] }, /^gather #5 #6$/],
      [{ kind: 'tasks', via: 'wait', ids: [] }, /^wait \(all done\)$/],
      [{ kind: 'group', id: 2 }, /^group #2 \(2 tasks\)$/],
      [{ kind: 'lock', name: 'db', detail: 'locked' }, /^lock "db": locked$/],
      [{ kind: 'event', name: null, detail: 'not set' }, /^event: not set$/],
      [{ kind: 'queue', op: 'get', name: 'jobs', detail: 'empty' }, /^queue "jobs" get: empty$/],
      [{ kind: 'worker', detail: 'hash' }, /^worker: hash$/],
      [{ kind: 'promise', detail: 'a\ndriver  call' }, /^promise: a driver call$/],
      [{ kind: 'telepathy', detail: 'x' } as unknown as WaitTarget, /^telepathy: x$/],
    ];
    for (const [wait, expected] of cases) assert.match(describeWait(wait, s), expected);
  });

  test('names are made one-line and control characters visible', () => {
    assert.equal(oneLine('a\tb\n\nc\u0007'), 'a b c?');
  });

  test('ps: one row per task, columns parsed back', () => {
    const s = snap(
      [
        task({ id: 1, name: 'main', waitingOn: [{ kind: 'group', id: 1 }] }),
        task({ id: 2, name: 'two words', parent: 1, group: 1, cancelling: 1, ageMs: 61_000 }),
        task({ id: 3, name: 'runner', parent: 1, state: 'running', waitingOn: [] }),
      ],
      [{ id: 1, owner: 1, state: 'open', tasks: [2] }],
    );
    const out = formatPs(s);
    assert.match(out.split('\n')[0]!, /^PID 77, Node v20\.20\.2, weft 0\.1\.0: 3 tasks, 1 group/);
    const rows = parseTable(out);
    assert.deepEqual(Object.keys(rows[0]!), [
      'ID',
      'NAME',
      'STATE',
      'PARENT',
      'GROUP',
      'AGE',
      'WAITING ON',
    ]);
    assert.deepEqual(
      rows.map((r) => [r.ID, r.NAME, r.STATE, r.PARENT, r.GROUP, r.AGE, r['WAITING ON']]),
      [
        ['1', 'main', 'waiting', '-', '-', '1.5s', 'group #1 (1 task)'],
        ['2', 'two words', 'waiting (cancelling)', '1', '#1', '1m01s', 'promise: fetch'],
        ['3', 'runner', 'running', '1', '-', '1.5s', '-'],
      ],
    );
  });

  test('ps: a slice says how many tasks there are and how many it shows', () => {
    const s = { ...snap([task({ id: 1, name: 'a' }), task({ id: 2, name: 'b' })]), total: 9 };
    const out = formatPs(s);
    assert.match(out.split('\n')[0]!, /: 9 tasks \(2 shown\), 0 groups/);
    assert.equal(out.split('\n').at(-1), 'showing 2 of 9 tasks; --limit 0 for all');
    const all = formatPs({ ...s, total: 2 });
    assert.match(all.split('\n')[0]!, /: 2 tasks, 0 groups/);
    assert.doesNotMatch(all, /showing/);
  });

  test('ps and pstree of 150,000 tasks: no call spreads them (the stack would overflow)', () => {
    const n = 150_000;
    const ids = Array.from({ length: n - 2 }, (_, i) => i + 3);
    const tasks = [
      task({ id: 1, name: 'main', waitingOn: [{ kind: 'group', id: 1 }] }),
      task({ id: 2, name: 'gatherer', waitingOn: [{ kind: 'tasks', via: 'gather', ids }] }),
      ...ids.map((id) => task({ id, name: `t${id}`, parent: 1, group: 1, waitingOn: [on(2)] })),
    ];
    const s = snap(tasks, [{ id: 1, owner: 1, state: 'open', tasks: ids }]);
    const lines = formatPs(s).split('\n');
    assert.equal(lines.length, n + 2);
    const gatherer = parseTable(lines.slice(0, 4).join('\n'))[1]!;
    assert.equal(
      gatherer['WAITING ON'],
      `gather #3 #4 #5 #6 #7 #8 #9 #10 #11 #12 (+${n - 12} more)`,
    );
    assert.match(lines.at(-1)!, /t150000 +waiting +1 +#1 +1\.5s +task #2 gatherer$/);
    const tree = buildTree(s);
    assert.equal(tree.cycles.length, 1, 'gatherer and its tasks await each other');
    assert.equal(tree.cycles[0]!.ids[0], 2);
  });

  test('ps: LOCATION only when tasks have one; empty snapshot', () => {
    const rows = parseTable(
      formatPs({ ...snap([task({ id: 1, name: 'a', location: '/app/x.ts:3:9' })]), debug: true }),
    );
    assert.equal(rows[0]!.LOCATION, '/app/x.ts:3:9');
    assert.match(formatPs(snap([])), /No pending tasks\.$/);
  });

  test('snapshotProblem accepts a snapshot and names what is wrong', () => {
    assert.equal(snapshotProblem(snap([task({ id: 1, name: 'a' })])), null);
    assert.match(String(snapshotProblem(null)), /not an object/);
    assert.match(
      String(
        snapshotProblem(snap([{ ...task({ id: 1, name: 'a' }), state: 'gone' as 'waiting' }])),
      ),
      /tasks\[0\]\.state is "gone"/,
    );
    assert.match(
      String(
        snapshotProblem(
          snap([task({ id: 1, name: 'a', waitingOn: [{ kind: 'task' } as WaitTarget] })]),
        ),
      ),
      /waitingOn\[0\] \(task\) has a bad id/,
    );
  });
});

describe('pstree', () => {
  test('roots are the tasks nobody awaits; awaits, gathers and groups nest', () => {
    const s = snap(
      [
        task({ id: 1, name: 'main', waitingOn: [{ kind: 'group', id: 1 }] }),
        task({ id: 2, name: 'a', group: 1, parent: 1, waitingOn: [on(4)] }),
        task({
          id: 3,
          name: 'b',
          group: 1,
          parent: 1,
          waitingOn: [{ kind: 'tasks', via: 'gather', ids: [5, 6] }],
        }),
        task({ id: 4, name: 'shared', waitingOn: [{ kind: 'sleep', ms: 1000, until: 100_500 }] }),
        task({ id: 5, name: 'g1' }),
        task({ id: 6, name: 'g2', waitingOn: [on(4)] }),
        task({ id: 7, name: 'loner' }),
      ],
      [{ id: 1, owner: 1, state: 'open', tasks: [2, 3] }],
    );
    const tree = buildTree(s);
    assert.deepEqual(tree.cycles, []);
    const shape = (n: TreeNode): unknown =>
      n.type === 'task'
        ? [`#${n.id}`, ...n.children.map(shape)]
        : n.type === 'group'
          ? [`group ${n.id}${n.awaited ? '' : '?'}`, ...n.children.map(shape)]
          : n.type === 'tasks'
            ? [n.via, ...n.children.map(shape)]
            : n.type === 'ref'
              ? `#${n.id} ${n.reason}`
              : `#${n.id} gone`;
    assert.deepEqual(tree.roots.map(shape), [
      ['#1', ['group 1', ['#2', ['#4']], ['#3', ['gather', ['#5'], ['#6', '#4 above']]]]],
      ['#7'],
    ]);
    const drawn = parseTree(formatTree(tree, s));
    assert.equal(drawn.length, 2);
    const group = drawn[0]!.children[0]!;
    assert.equal(group.label, 'group #1');
    assert.match(
      group.children[0]!.children[0]!.label,
      /^#4 shared · sleep 1\.0s until .* \(500ms left\)$/,
    );
    assert.equal(
      group.children[1]!.children[0]!.children[1]!.children[0]!.label,
      '#4 shared (see above)',
    );
  });

  test('a group its owner does not wait on yet, a task that finished, a running task', () => {
    const s = snap(
      [
        task({ id: 1, name: 'main', state: 'running', waitingOn: [] }),
        task({ id: 2, name: 'kid', group: 3, waitingOn: [on(99)] }),
      ],
      [{ id: 3, owner: 1, state: 'cancelling', tasks: [2] }],
    );
    const drawn = parseTree(formatTree(buildTree(s), s));
    assert.equal(drawn[0]!.label, '#1 main [running]');
    assert.equal(drawn[0]!.children[0]!.label, 'group #3 (cancelling, not awaited yet)');
    assert.equal(drawn[0]!.children[0]!.children[0]!.children[0]!.label, '#99 (finished)');
  });

  test('a child awaiting its owner while the owner body runs is shown, not a cycle', () => {
    const s = snap(
      [
        task({ id: 1, name: 'owner', waitingOn: [{ kind: 'sleep', ms: 10, until: 100_010 }] }),
        task({ id: 2, name: 'kid', group: 1, waitingOn: [on(1)] }),
      ],
      [{ id: 1, owner: 1, state: 'open', tasks: [2] }],
    );
    const tree = buildTree(s);
    assert.deepEqual(tree.cycles, []);
    const drawn = parseTree(formatTree(tree, s));
    assert.match(drawn[0]!.label, /^#1 owner/);
    assert.equal(
      drawn[0]!.children[0]!.children[0]!.children[0]!.label,
      '#1 owner (cycle: awaited above)',
    );
  });

  test('await cycles: two tasks, three tasks, a task awaiting itself, through a group and a gather', () => {
    const ring = (s: Snapshot) => findCycles(s).map((c) => c.ids);
    assert.deepEqual(
      ring(
        snap([
          task({ id: 3, name: 'a', waitingOn: [on(4)] }),
          task({ id: 4, name: 'b', waitingOn: [on(3)] }),
        ]),
      ),
      [[3, 4]],
    );
    assert.deepEqual(
      ring(
        snap([
          task({ id: 1, name: 'a', waitingOn: [on(2)] }),
          task({ id: 2, name: 'b', waitingOn: [on(3)] }),
          task({ id: 3, name: 'c', waitingOn: [on(1)] }),
        ]),
      ),
      [[1, 2, 3]],
    );
    assert.deepEqual(ring(snap([task({ id: 8, name: 'self', waitingOn: [on(8)] })])), [[8]]);
    // The owner waits for its group; a member awaits the owner.
    assert.deepEqual(
      ring(
        snap(
          [
            task({ id: 1, name: 'owner', waitingOn: [{ kind: 'group', id: 1 }] }),
            task({ id: 2, name: 'kid', group: 1, waitingOn: [on(1)] }),
          ],
          [{ id: 1, owner: 1, state: 'open', tasks: [2] }],
        ),
      ),
      [[1, 2]],
    );
    assert.deepEqual(
      ring(
        snap([
          task({ id: 1, name: 'g', waitingOn: [{ kind: 'tasks', via: 'gather', ids: [2, 3] }] }),
          task({ id: 2, name: 'x' }),
          task({ id: 3, name: 'y', waitingOn: [on(1)] }),
        ]),
      ),
      [[1, 3]],
    );
    // Two separate rings, and a chain hanging off one of them.
    const two = snap([
      task({ id: 1, name: 'a', waitingOn: [on(2)] }),
      task({ id: 2, name: 'b', waitingOn: [on(1)] }),
      task({ id: 5, name: 'c', waitingOn: [on(6)] }),
      task({ id: 6, name: 'd', waitingOn: [on(5)] }),
      task({ id: 7, name: 'e', waitingOn: [on(1)] }),
    ]);
    assert.deepEqual(ring(two), [
      [1, 2],
      [5, 6],
    ]);
    assert.equal(
      formatCycles(findCycles(two)),
      'await cycle (deadlock): #1 a -> #2 b -> #1 a\nawait cycle (deadlock): #5 c -> #6 d -> #5 c',
    );
  });

  test('no cycle in a diamond (two tasks awaiting the same one)', () => {
    const s = snap([
      task({ id: 1, name: 'top', waitingOn: [{ kind: 'tasks', via: 'gather', ids: [2, 3] }] }),
      task({ id: 2, name: 'l', waitingOn: [on(4)] }),
      task({ id: 3, name: 'r', waitingOn: [on(4)] }),
      task({ id: 4, name: 'bottom' }),
    ]);
    assert.deepEqual(findCycles(s), []);
  });

  test('cycle members nobody else awaits still appear in the tree', () => {
    const s = snap([
      task({ id: 3, name: 'a', waitingOn: [on(4)] }),
      task({ id: 4, name: 'b', waitingOn: [on(3)] }),
    ]);
    const drawn = parseTree(formatTree(buildTree(s), s));
    assert.equal(drawn[0]!.label, '#3 a');
    assert.equal(drawn[0]!.children[0]!.label, '#4 b');
    assert.equal(drawn[0]!.children[0]!.children[0]!.label, '#3 a (cycle: awaited above)');
  });

  test('a chain of 50,000 awaits neither overflows the stack nor is a cycle', () => {
    const n = 50_000;
    const tasks = Array.from({ length: n }, (_, i) =>
      task({ id: i + 1, name: `t${i + 1}`, waitingOn: i + 1 < n ? [on(i + 2)] : [] }),
    );
    assert.deepEqual(findCycles(snap(tasks)), []);
    tasks[n - 1]!.waitingOn = [on(1)];
    assert.equal(findCycles(snap(tasks))[0]!.ids.length, n);
  });
});

describe('WebSocket client', () => {
  test('masked text frames out; 16- and 64-bit lengths and fragmented messages in', async () => {
    const server = await startServer();
    const received: string[] = [];
    const ws = await WebSocketClient.connect(server.url, {
      timeoutMs: 5000,
      onMessage: (text) => received.push(text),
    });
    try {
      const peer = server.peers.at(-1)!;
      for (const size of [5, 300, 70_000]) {
        const text = 'é'.repeat(size);
        ws.send(text);
        const frame = await peer.next();
        assert.equal(frame.masked, true, 'client frames must be masked');
        assert.equal(frame.op, 1);
        assert.equal(frame.payload.toString('utf8'), text);
        // Back in three fragments, the multi-byte character split between two.
        const bytes = Buffer.from(`echo ${text}`);
        const cut = [0, 7, Math.floor(bytes.length / 2) + 1, bytes.length];
        peer.socket.write(serverFrame(1, bytes.subarray(cut[0], cut[1]), false));
        peer.socket.write(serverFrame(0, bytes.subarray(cut[1], cut[2]), false));
        peer.socket.write(serverFrame(0, bytes.subarray(cut[2], cut[3]), true));
      }
      while (received.length < 3) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        received.map((t) => t.length),
        [5, 300, 70_000].map((n) => n + 5),
      );
      assert.ok(received.every((t, i) => t === `echo ${'é'.repeat([5, 300, 70_000][i]!)}`));
    } finally {
      await ws.close();
      await server.close();
    }
  });

  test('a frame in thousands of pieces, a header cut in two, two frames in one chunk', async () => {
    const server = await startServer();
    const received: string[] = [];
    const ws = await WebSocketClient.connect(server.url, {
      timeoutMs: 5000,
      onMessage: (text) => received.push(text),
    });
    try {
      const peer = server.peers.at(-1)!;
      const big = Buffer.from('0123456789abcdef'.repeat(200_000)); // 3.2 MB
      const bytes = serverFrame(1, big);
      peer.socket.write(bytes.subarray(0, 1));
      await new Promise((r) => setTimeout(r, 20));
      for (let at = 1; at < bytes.length; at += 1000) {
        peer.socket.write(bytes.subarray(at, at + 1000));
        if (at % 200_001 === 1) await new Promise((r) => setImmediate(r));
      }
      peer.socket.write(
        Buffer.concat([serverFrame(1, Buffer.from('one')), serverFrame(1, Buffer.from('two'))]),
      );
      while (received.length < 3) await new Promise((r) => setTimeout(r, 5));
      assert.equal(received[0]!.length, big.length);
      assert.ok(received[0] === big.toString(), 'the large message arrives intact');
      assert.deepEqual(received.slice(1), ['one', 'two']);
    } finally {
      await ws.close();
      await server.close();
    }
  });

  test('answers a ping with a pong carrying the same data', async () => {
    const server = await startServer();
    const ws = await WebSocketClient.connect(server.url, { timeoutMs: 5000, onMessage() {} });
    try {
      const peer = server.peers.at(-1)!;
      peer.socket.write(serverFrame(9, Buffer.from('are you there')));
      const pong = await peer.next();
      assert.equal(pong.op, 10);
      assert.equal(pong.masked, true);
      assert.equal(pong.payload.toString(), 'are you there');
    } finally {
      await ws.close();
      await server.close();
    }
  });

  test('close() sends a close frame (1000) and ends when the server answers', async () => {
    const server = await startServer();
    let closedWith: Error | null | undefined;
    const ws = await WebSocketClient.connect(server.url, {
      timeoutMs: 5000,
      onMessage() {},
      onClose: (err) => {
        closedWith = err;
      },
    });
    const peer = server.peers.at(-1)!;
    const closing = ws.close();
    const frame = await peer.next();
    assert.equal(frame.op, 8);
    assert.equal(frame.payload.readUInt16BE(0), 1000);
    peer.socket.end(serverFrame(8, frame.payload));
    await closing;
    assert.equal(closedWith, null);
    assert.throws(() => ws.send('late'), WebSocketError);
    await server.close();
  });

  test('a close from the server ends the connection cleanly', async () => {
    const server = await startServer();
    let onClose: (err: Error | null) => void = () => {};
    const ended = new Promise<Error | null>((resolve) => {
      onClose = resolve;
    });
    await WebSocketClient.connect(server.url, { timeoutMs: 5000, onMessage() {}, onClose });
    const peer = server.peers.at(-1)!;
    peer.socket.write(serverFrame(8, Buffer.from([0x03, 0xe8])));
    assert.equal(await ended, null);
    const reply = await peer.next();
    assert.equal(reply.op, 8);
    await server.close();
  });

  test('failed handshakes reject with WebSocketError', async () => {
    for (const [mode, message] of [
      ['bad-accept', /Sec-WebSocket-Accept/],
      ['http', /HTTP 404|instead of upgrading|socket hang up|Cannot connect/],
      ['silent', /within 300 ms/],
    ] as const) {
      const server = await startServer(mode);
      try {
        await assert.rejects(
          WebSocketClient.connect(server.url, { timeoutMs: 300, onMessage() {} }),
          (err: unknown) => err instanceof WebSocketError && message.test(err.message),
          mode,
        );
      } finally {
        await server.close();
      }
    }
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as { port: number };
    await new Promise((r) => closed.close(r));
    await assert.rejects(
      WebSocketClient.connect(`ws://127.0.0.1:${port}/`, { timeoutMs: 1000, onMessage() {} }),
      /Cannot connect .*ECONNREFUSED/,
    );
  });
});

// ---------------------------------------------------------------------------
// End to end: real target processes, the command as a real subprocess

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Target {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  /** The next JSON line the target prints. */
  line: () => Promise<Record<string, unknown>>;
  send: (line: string) => void;
  exited: Promise<number | null>;
}

/** Spawn a process and track it so that `after` kills it. */
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function startTarget(
  options: { args?: string[]; nodeArgs?: string[]; node?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Target> {
  const child = track(
    spawn(
      options.node ?? process.execPath,
      [
        ...(options.nodeArgs ?? ['--inspect-port=0']),
        '--import',
        'tsx',
        fixture,
        ...(options.args ?? []),
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env },
    ),
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const lines: string[] = [];
  const readers: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const reader = readers.shift();
    if (reader) reader(line);
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = async () => {
    const next =
      lines.shift() ??
      (await Promise.race([
        new Promise<string>((r) => readers.push(r)),
        exited.then((code) => {
          throw new Error(`target exited (${code}) before printing; stderr:\n${stderr}`);
        }),
      ]));
    return JSON.parse(next) as Record<string, unknown>;
  };
  const ready = await line();
  assert.equal(ready.ready, true);
  return {
    child,
    pid: ready.pid as number,
    stderr: () => stderr,
    line,
    send: (text) => child.stdin!.write(`${text}\n`),
    exited,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the `weft` command as a subprocess (from the sources unless `entry` says otherwise). */
function weft(args: string[], options: { uid?: number; entry?: string[] } = {}): Promise<Run> {
  const entry = options.entry ?? ['--import', 'tsx', `${root}src/cli/weft.ts`];
  const child = track(
    spawn(process.execPath, [...entry, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${err}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The port of the inspector the target last announced on its stderr. */
function inspectorPort(target: Target): number {
  const ports = [...target.stderr().matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)];
  assert.ok(ports.length > 0, `the target never opened its inspector; stderr:\n${target.stderr()}`);
  return Number(ports.at(-1)![1]);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function ticks(target: Target): Promise<number> {
  target.send('ticks');
  return (await target.line()).ticks as number;
}

/** The target is alive and its tasks go on: the ticker task's count grows. */
async function assertRunning(target: Target): Promise<void> {
  const before = await ticks(target);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok((await ticks(target)) > before, 'the ticker task stopped');
}

/** Whether the process has installed its SIGUSR1 handler (signal 10: bit 9 of SigCgt). */
function handlesSigusr1(pid: number): boolean {
  const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return ((BigInt(`0x${mask}`) >> 9n) & 1n) === 1n;
}

function checkSnapshotShape(s: Snapshot, pid: number): void {
  assert.equal(s.pid, pid);
  assert.match(s.node, /^v\d+\.\d+\.\d+/);
  assert.equal(typeof s.weft, 'string');
  assert.ok(Number.isFinite(s.takenAt) && Math.abs(Date.now() - s.takenAt) < 600_000);
  assert.equal(typeof s.debug, 'boolean');
  const ids = s.tasks.map((t) => t.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
    'tasks by increasing id',
  );
  for (const t of s.tasks) {
    assert.deepEqual(Object.keys(t).sort(), [
      'ageMs',
      'cancelling',
      'group',
      'id',
      'location',
      'name',
      'parent',
      'stack',
      'state',
      'waitingOn',
    ]);
    assert.ok(Number.isInteger(t.id) && typeof t.name === 'string');
    assert.ok(['scheduled', 'running', 'waiting'].includes(t.state));
    assert.ok(t.parent === null || ids.includes(t.parent) || Number.isInteger(t.parent));
    assert.ok(t.ageMs >= 0);
    for (const w of t.waitingOn) assert.equal(typeof w.kind, 'string');
  }
  for (const g of s.groups) {
    assert.ok(Number.isInteger(g.id) && ids.includes(g.owner));
    assert.ok(g.tasks.every((id) => s.tasks.find((t) => t.id === id)?.group === g.id));
  }
}

describe('weft ps / pstree against a live process', { timeout: 180_000 }, () => {
  test('ps: the known tree, parsed from the table', async () => {
    const target = await startTarget();
    try {
      const run = await weft(['ps', String(target.pid)]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, new RegExp(`^PID ${target.pid}, Node v`));
      const rows = parseTable(run.stdout);
      const row = (name: string) => {
        const found = rows.find((r) => r.NAME === name);
        assert.ok(found, `no row for ${name} in\n${run.stdout}`);
        return found;
      };
      assert.ok(rows.every((r) => r.STATE === 'waiting'));
      assert.match(row('sleeper')['WAITING ON']!, /^sleep 1h00m until .* left\)$/);
      assert.match(row('locker')['WAITING ON']!, /^lock "db"/);
      const targetRow = row('target');
      assert.equal(row('joiner')['WAITING ON'], `task #${targetRow.ID} target`);
      const grouper = row('grouper');
      const groupId = /^group #(\d+) \(2 tasks\)$/.exec(grouper['WAITING ON']!)?.[1];
      assert.ok(groupId, grouper['WAITING ON']);
      for (const member of ['member-1', 'member-2']) {
        assert.equal(row(member).GROUP, `#${groupId}`);
        assert.equal(row(member).PARENT, grouper.ID);
      }
      const gatherer = row('gatherer');
      const gathered = /^gather #(\d+) #(\d+)$/.exec(gatherer['WAITING ON']!);
      assert.ok(gathered, gatherer['WAITING ON']);
      for (const id of gathered.slice(1)) {
        assert.equal(rows.find((r) => r.ID === id)?.PARENT, gatherer.ID);
      }
      assert.equal(row('main').PARENT, '-');
      assert.ok(!('LOCATION' in rows[0]!), 'no LOCATION outside debug mode');
      // weft opened the inspector and closed it again; the process goes on.
      assert.equal(await accepts(inspectorPort(target)), false, 'the inspector is still open');
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('ps --json: the snapshot; pstree and pstree --json: the tree; then a clean exit', async () => {
    const target = await startTarget();
    try {
      const json = await weft(['ps', '--json', String(target.pid)]);
      assert.equal(json.code, 0, json.stderr);
      const s = JSON.parse(json.stdout) as Snapshot;
      checkSnapshotShape(s, target.pid);
      assert.equal(s.debug, false);
      const byName = new Map(s.tasks.map((t) => [t.name, t]));
      const joiner = byName.get('joiner')!;
      assert.deepEqual(joiner.waitingOn, [
        { kind: 'task', id: byName.get('target')!.id, name: 'target' },
      ]);
      const locker = byName.get('locker')!.waitingOn[0]!;
      assert.equal(locker.kind, 'lock');
      assert.equal((locker as { name: string }).name, 'db');
      const group = s.groups.find((g) => g.owner === byName.get('grouper')!.id)!;
      assert.deepEqual(group.tasks, [byName.get('member-1')!.id, byName.get('member-2')!.id]);
      assert.ok(s.tasks.every((t) => t.location === null && t.stack === null));

      const text = await weft(['pstree', String(target.pid)]);
      assert.equal(text.code, 0, text.stderr);
      const roots = parseTree(text.stdout);
      const named = (name: string) => new RegExp(`^#\\d+ ${name}\\b`);
      for (const name of ['main', 'sleeper', 'locker', 'joiner', 'grouper', 'gatherer', 'ticker']) {
        assert.ok(find(roots, named(name)), `${name} is a root in\n${text.stdout}`);
      }
      for (const name of ['target', 'member-1', 'member-2']) {
        assert.equal(find(roots, named(name)), undefined, `${name} is awaited, not a root`);
      }
      assert.match(find(roots, named('joiner'))!.children[0]!.label, named('target'));
      const groupNode = find(roots, named('grouper'))!.children[0]!;
      assert.equal(groupNode.label, `group #${group.id}`);
      assert.deepEqual(
        groupNode.children.map((c) => c.label.split(' · ')[0]),
        [`#${byName.get('member-1')!.id} member-1`, `#${byName.get('member-2')!.id} member-2`],
      );
      const gather = find(roots, named('gatherer'))!.children[0]!;
      assert.equal(gather.label, 'gather');
      assert.equal(gather.children.length, 2);

      const tree = await weft(['pstree', '--json', String(target.pid)]);
      assert.equal(tree.code, 0, tree.stderr);
      const parsed = JSON.parse(tree.stdout) as { pid: number; roots: TreeNode[]; cycles: [] };
      assert.equal(parsed.pid, target.pid);
      assert.deepEqual(parsed.cycles, []);
      const grouper = parsed.roots.find((n) => n.type === 'task' && n.name === 'grouper');
      assert.ok(grouper?.type === 'task');
      assert.equal(grouper.children[0]!.type, 'group');

      assert.equal(await accepts(inspectorPort(target)), false);
      // Attached three times: the tasks still run, and the process ends normally.
      await assertRunning(target);
      target.send('exit');
      assert.deepEqual(Object.keys(await target.line()), ['exited', 'ticks']);
      assert.equal(await target.exited, 0);
    } finally {
      target.child.kill();
    }
  });

  test('pstree: an await cycle is an error naming its tasks (exit 8); debug mode adds locations', async () => {
    const target = await startTarget({ args: ['--cycle', '--debug'] });
    try {
      const run = await weft(['pstree', String(target.pid)]);
      assert.equal(run.code, EXIT_CODES.CYCLE);
      assert.match(
        run.stderr,
        /^weft: await cycle \(deadlock\): #(\d+) cycle-a -> #(\d+) cycle-b -> #\1 cycle-a\n$/,
      );
      // The tree is still printed, the ring marked where it closes.
      const cycleA = find(parseTree(run.stdout), /^#\d+ cycle-a/)!;
      assert.match(cycleA.children[0]!.label, /^#\d+ cycle-b/);
      assert.match(cycleA.children[0]!.children[0]!.label, /cycle-a \(cycle: awaited above\)$/);
      assert.match(cycleA.label, /\(at .*test\/fixtures\/cli\/tree\.ts:\d+:\d+\)$/);

      const json = await weft(['pstree', '--json', String(target.pid)]);
      assert.equal(json.code, EXIT_CODES.CYCLE);
      const tree = JSON.parse(json.stdout) as { cycles: Array<{ names: string[] }> };
      assert.deepEqual(
        tree.cycles.map((c) => c.names),
        [['cycle-a', 'cycle-b']],
      );

      const ps = await weft(['ps', String(target.pid)]);
      assert.equal(ps.code, 0, 'ps lists a deadlock without failing');
      const rows = parseTable(ps.stdout);
      assert.ok(
        rows.every((r) => /tree\.ts:\d+:\d+$/.test(r.LOCATION ?? '')),
        ps.stdout,
      );
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('no flag at all: the default port 9229', async (t) => {
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(9229, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return t.skip('port 9229 is in use on this machine');
    const target = await startTarget({ nodeArgs: [] });
    try {
      const run = await weft(['ps', String(target.pid)]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(inspectorPort(target), 9229);
      assert.equal(await accepts(9229), false);
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('an inspector that was already open is used and left open', async () => {
    const target = await startTarget({ nodeArgs: ['--inspect=127.0.0.1:0'] });
    try {
      const port = inspectorPort(target);
      const run = await weft(['ps', String(target.pid)]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(parseTable(run.stdout).some((r) => r.NAME === 'sleeper'));
      assert.equal(await accepts(port), true, 'weft closed an inspector it had not opened');
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('the inspector port is taken: a clear error, and the target lives on', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    const target = await startTarget({ nodeArgs: [`--inspect-port=${port}`] });
    try {
      const run = await weft(['ps', '--timeout', '1500', String(target.pid)]);
      assert.equal(run.code, EXIT_CODES.ATTACH);
      assert.match(run.stderr, /did not open within 1500 ms after SIGUSR1.*may be taken/);
      await assertRunning(target);
    } finally {
      target.child.kill();
      blocker.close();
    }
  });

  test('errors: no such process, not Node, Node without weft, bad PID', async () => {
    const gone = track(spawn(process.execPath, ['-e', '']));
    await new Promise((r) => gone.on('exit', r));
    const none = await weft(['ps', String(gone.pid)]);
    assert.equal(none.code, EXIT_CODES.NO_PROCESS);
    assert.equal(none.stderr, `weft: No process with PID ${gone.pid}\n`);
    assert.equal(none.stdout, '');

    const sleeper = track(spawn('sleep', ['60']));
    try {
      const notNode = await weft(['pstree', String(sleeper.pid)]);
      assert.equal(notNode.code, EXIT_CODES.NOT_NODE);
      assert.match(notNode.stderr, /is not a Node process \(its executable is .*sleep\)/);
      // It was not signalled: SIGUSR1 would have killed it.
      assert.equal(sleeper.exitCode, null);
      assert.equal(sleeper.signalCode, null);
    } finally {
      sleeper.kill();
    }

    const plain = track(
      spawn(process.execPath, ['--inspect-port=0', '-e', 'setInterval(() => {}, 1000)'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let plainErr = '';
    plain.stderr!.setEncoding('utf8').on('data', (d: string) => {
      plainErr += d;
    });
    try {
      // Wait until Node handles SIGUSR1 (its startup is done): weft refuses before that.
      while (!handlesSigusr1(plain.pid!)) await new Promise((r) => setTimeout(r, 20));
      const noWeft = await weft(['ps', String(plain.pid)]);
      assert.equal(noWeft.code, EXIT_CODES.NO_WEFT);
      assert.equal(
        noWeft.stderr,
        `weft: Node process ${plain.pid} has not loaded weft (or a weft too old to be inspected)\n`,
      );
      const port = Number(/127\.0\.0\.1:(\d+)\//.exec(plainErr)?.[1]);
      assert.ok(port > 0, plainErr);
      assert.equal(await accepts(port), false, 'the inspector is still open');
      assert.equal(plain.exitCode, null);
    } finally {
      plain.kill();
    }

    const bad = await weft(['ps', 'twelve']);
    assert.equal(bad.code, EXIT_CODES.USAGE);
    assert.match(bad.stderr, /^weft: Expected `PID` to be a positive integer, got 'twelve'/);
  });

  test('a stopped process is not signalled (it would open its inspector once resumed)', async () => {
    const stopped = track(
      spawn(process.execPath, ['--inspect-port=0', '-e', 'setInterval(() => {}, 1000)'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let stoppedErr = '';
    stopped.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stoppedErr += d;
    });
    try {
      while (!handlesSigusr1(stopped.pid!)) await new Promise((r) => setTimeout(r, 20));
      stopped.kill('SIGSTOP');
      const run = await weft(['ps', String(stopped.pid)]);
      assert.equal(run.code, EXIT_CODES.ATTACH);
      assert.match(run.stderr, /is stopped \(state T.*kill -CONT/);
      stopped.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(stopped.exitCode, null);
      assert.doesNotMatch(stoppedErr, /Debugger listening/);
    } finally {
      stopped.kill('SIGKILL');
    }
  });

  test('permission denied: another user cannot attach', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to run the command as another user');
    // CI's Node 24 lives in a private temporary directory: another user may not reach it.
    const probe = await weft(['--version'], { uid: 65534 });
    if (probe.code !== 0)
      return t.skip(`user nobody cannot run this Node or weft: ${probe.stderr}`);
    const target = await startTarget();
    try {
      const run = await weft(['ps', String(target.pid)], { uid: 65534 });
      assert.equal(run.code, EXIT_CODES.PERMISSION, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`^weft: Permission denied: cannot signal PID ${target.pid}`),
      );
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('a Node process that does not handle SIGUSR1 is left alone', async (t) => {
    if (!process.allowedNodeEnvironmentFlags.has('--disable-sigusr1')) {
      return t.skip(`--disable-sigusr1 does not exist in Node ${process.version}`);
    }
    const target = await startTarget({ nodeArgs: ['--disable-sigusr1'] });
    try {
      const run = await weft(['ps', String(target.pid)]);
      assert.equal(run.code, EXIT_CODES.ATTACH);
      assert.match(run.stderr, /does not handle SIGUSR1/);
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('--help, ps --help, --version', async () => {
    const help = await weft(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /weft ps PID/);
    assert.match(help.stdout, /weft pstree PID/);
    assert.match(help.stdout, /Exit status:/);
    const ps = await weft(['ps', '--help']);
    assert.equal(ps.code, 0);
    assert.match(ps.stdout, /^Usage: weft ps PID/);
    assert.match(ps.stdout, /WAITING ON/);
    const version = await weft(['--version']);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    assert.equal(version.stdout, `${pkg.version}\n`);
  });

  test('main() reports an unexpected failure with status 1', async () => {
    const printed: string[] = [];
    const status = await main(['--version'], {
      stdout: () => {
        throw new Error('stdout is gone');
      },
      stderr: (text) => printed.push(text),
    });
    assert.equal(status, 1);
    assert.match(printed.join(''), /^weft: unexpected error: Error: stdout is gone/);
  });

  test('the built command (dist/cli/weft.js) runs with node', async () => {
    const built = `${root}dist/cli/weft.js`;
    assert.ok(existsSync(built), 'dist/ is missing: run `npm run build` first');
    assert.equal(readFileSync(built, 'utf8').split('\n')[0], '#!/usr/bin/env node');
    const target = await startTarget();
    try {
      const run = await weft(['pstree', String(target.pid)], { entry: [built] });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(find(parseTree(run.stdout), /^#\d+ grouper/));
      assert.equal(await accepts(inspectorPort(target)), false);
    } finally {
      target.child.kill();
    }
  });
});

describe('large targets and concurrent attaches', { timeout: 240_000 }, () => {
  test('150,000 tasks: ps shows 5000 and counts all, --limit reads slices, --all and pstree read every task, Ctrl-C leaves', async () => {
    const target = await startTarget({ args: ['--tasks', '150000'] });
    try {
      const pid = String(target.pid);
      const run = await weft(['ps', pid]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      const lines = run.stdout.trimEnd().split('\n');
      const total = Number(/: (\d+) tasks \(5000 shown\), /.exec(lines[0]!)?.[1]);
      assert.ok(total >= 150_000, lines[0]);
      assert.equal(lines.at(-1), `showing 5000 of ${total} tasks; --limit 0 for all`);
      const rows = parseTable(lines.slice(0, -1).join('\n'));
      assert.equal(rows.length, 5000);
      const owner = rows.find((r) => r.NAME === 'bulk-group');
      assert.match(owner?.['WAITING ON'] ?? '', /^group #\d+ \(75000 tasks\)$/);

      // Three slices of at most 5000 tasks, one snapshot.
      const json = await weft(['ps', '--json', '--limit', '12000', pid]);
      assert.equal(json.code, 0, json.stderr);
      const s = JSON.parse(json.stdout) as Snapshot;
      assert.equal(s.total, total);
      assert.equal(s.tasks.length, 12_000);
      assert.ok(s.tasks.every((t, i) => i === 0 || t.id > s.tasks[i - 1]!.id));
      const group = s.groups.find(
        (g) => g.owner === s.tasks.find((t) => t.name === 'bulk-group')!.id,
      );
      assert.ok(group !== undefined && group.tasks.length === 75_000);
      const members = new Set(group.tasks);
      const inGroup = s.tasks.filter((t) => members.has(t.id));
      assert.ok(inGroup.length > 10_000, 'members past the first slice');
      assert.ok(inGroup.every((t) => t.group === group.id));

      const all = await weft(['ps', '--all', pid]);
      assert.equal(all.code, 0, all.stderr);
      const allLines = all.stdout.trimEnd().split('\n');
      assert.match(allLines[0]!, new RegExp(`: ${total} tasks, `));
      assert.equal(allLines.length, total + 2, 'a summary, a header and a row per task');

      // Ctrl-C while reading: the command leaves first, so the inspector it opened closes.
      const opens = () => target.stderr().split('Debugger listening').length;
      const before = opens();
      const interrupted = track(
        spawn(process.execPath, ['--import', 'tsx', `${root}src/cli/weft.ts`, 'ps', '--all', pid], {
          cwd: root,
          stdio: 'ignore',
        }),
      );
      const exitCode = new Promise((resolve) => interrupted.on('exit', resolve));
      while (opens() === before && interrupted.exitCode === null) {
        await new Promise((r) => setTimeout(r, 10));
      }
      interrupted.kill('SIGINT');
      assert.equal(await exitCode, 130);
      assert.equal(await accepts(inspectorPort(target)), false, 'the inspector is still open');

      const tree = await weft(['pstree', pid]);
      assert.equal(tree.code, 0, tree.stderr);
      assert.match(tree.stdout, /^PID \d+, .*: \d+ tasks, /);
      assert.match(tree.stdout, /\n[├└]── #\d+ bulk-gather\n/);

      assert.equal(await accepts(inspectorPort(target)), false, 'the inspector is still open');
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });

  test('three weft ps at once on one process all succeed, and the inspector ends closed', async () => {
    const target = await startTarget();
    try {
      for (let round = 1; round <= 2; round++) {
        const runs = await Promise.all([1, 2, 3].map(() => weft(['ps', String(target.pid)])));
        for (const run of runs) {
          assert.equal(run.code, 0, `round ${round}: ${run.stderr}`);
          assert.equal(run.stderr, '');
          assert.ok(parseTable(run.stdout).some((r) => r.NAME === 'sleeper'));
        }
        const ports = new Set(
          [...target.stderr().matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)].map(
            (m) => Number(m[1]),
          ),
        );
        for (const port of ports) {
          assert.equal(await accepts(port), false, `round ${round}: port ${port} is still open`);
        }
      }
      assert.equal(existsSync(`${tmpdir()}/weft-attach-${target.pid}.lock`), false);
      await assertRunning(target);
      target.send('exit');
      assert.deepEqual(Object.keys(await target.line()), ['exited', 'ticks']);
      assert.equal(await target.exited, 0);
    } finally {
      target.child.kill();
    }
  });

  test('three weft ps at once on a process started with --inspect: all succeed, the inspector stays open', async () => {
    const target = await startTarget({ nodeArgs: ['--inspect=127.0.0.1:0'] });
    try {
      const port = inspectorPort(target);
      const runs = await Promise.all([1, 2, 3].map(() => weft(['ps', String(target.pid)])));
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        assert.ok(parseTable(run.stdout).some((r) => r.NAME === 'sleeper'));
      }
      assert.equal(await accepts(port), true, 'weft closed an inspector it had not opened');
      await assertRunning(target);
    } finally {
      target.child.kill();
    }
  });
});
