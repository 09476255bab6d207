import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { type RunningServer, startServerProcess } from './server-process.js';

/**
 * R1 drill: the server as `npm start` runs it (embedded PostgreSQL under its own DATA_DIR), staff
 * signed in over HTTP saving class-grid rows, writing notes and confirming a large MIS import at
 * once; SIGKILL at a chosen moment; start again on the same data; then every acknowledged write
 * (a 200 for a grid row, a 303 after a POST) must be there and nothing may be half-applied.
 */

const password = 'waypoint-demo-password';

export interface DrillOptions {
  dataDir: string;
  pgPort: number;
  /** Milliseconds after the write load starts before SIGKILL. */
  killAfterMs: number;
  importRows: number;
  /** Each worker saves its own pupils' rows one after another, so a pupil has at most one save in flight. */
  scoreWorkers: number;
  noteWorkers: number;
}

export interface DrillReport {
  acknowledged: { scores: number; notes: number; import: boolean };
  inFlightAtKill: { scores: number; notes: number; import: boolean };
  /** Writes in flight at the kill that turned out to be committed. */
  inFlightCommitted: { scores: number; notes: number; import: boolean };
  problems: string[];
  restartMs: number;
}

class Client {
  cookie = '';
  token = '';
  constructor(readonly origin: string) {}

  async signIn(email: string) {
    const page = await fetch(`${this.origin}/sign-in`);
    this.cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await this.post('/sign-in', { _csrf: token, email, password });
    this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    if (res.status !== 303 || !this.cookie) throw new Error(`sign-in as ${email} failed: ${res.status}`);
    this.token = /name="_csrf" value="([^"]+)"/.exec(await (await this.get('/account')).text())![1]!;
  }

  get(url: string) {
    return fetch(`${this.origin}${url}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }

  post(url: string, form: Record<string, string> | URLSearchParams | FormData) {
    const body = form instanceof FormData || form instanceof URLSearchParams ? form : new URLSearchParams(form);
    if (body instanceof URLSearchParams && !body.has('_csrf')) body.set('_csrf', this.token);
    if (body instanceof FormData && !body.has('_csrf')) body.set('_csrf', this.token);
    return fetch(`${this.origin}${url}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookie, origin: this.origin },
      body,
    });
  }
}

function importCsv(rows: number, tag: string): Buffer {
  const lines = ['mis_id,legal_forename,surname,date_of_birth,sex,year_group'];
  for (let i = 0; i < rows; i++)
    lines.push(`${tag}${String(i).padStart(6, '0')},Drill,Pupil${i},0${1 + (i % 9)}/09/2016,${i % 2 ? 'F' : 'M'},4`);
  return Buffer.from(lines.join('\r\n'));
}

export async function superuser(dataDir: string, pgPort: number): Promise<Knex> {
  const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as {
    postgresPassword: string;
  };
  return knexFactory({
    client: 'pg',
    connection: `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${pgPort}/waypoint`,
    pool: { min: 0, max: 2 },
  });
}

export async function startDrillServer(dataDir: string, pgPort: number): Promise<RunningServer> {
  return startServerProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) });
}

const t0 = Date.now();
const step = (what: string) => {
  if (process.env.DRILL_DEBUG) console.log(`  [drill +${Date.now() - t0} ms] ${what}`);
};

interface ScoreSave {
  pupilId: string;
  value: number;
  status: 'ack' | 'inflight';
}

export async function runKillDrill(
  server: RunningServer,
  opts: DrillOptions,
): Promise<{ report: DrillReport; server: RunningServer }> {
  const origin = `http://127.0.0.1:${server.port}`;
  const tag = `KD${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
  let su = await superuser(opts.dataDir, opts.pgPort);
  await su('school_settings').update({ mis_import_allowed: true });
  const group = await su('groups').where({ name: '3 Oak' }).first('id', 'school_id');
  const pupils: string[] = (
    await su('group_members').where({ group_id: group.id }).orderBy('pupil_id').select('pupil_id')
  ).map((r) => r.pupil_id);
  const framework = await su('frameworks').where({ school_id: group.school_id, kind: 'wellbeing' }).first('id');
  const items: string[] = (
    await su('framework_items').where({ framework_id: framework.id }).orderBy('position').select('id')
  ).map((r) => r.id);
  const levels = new Map<number, string>(
    (await su('framework_levels').where({ framework_id: framework.id }).select('id', 'value')).map((l) => [
      l.value,
      l.id,
    ]),
  );
  const today = new Date().toISOString().slice(0, 10);
  const term =
    (await su('terms')
      .where({ school_id: group.school_id })
      .where('starts_on', '<=', today)
      .where('ends_on', '>=', today)
      .first('id')) ??
    (await su('terms').where({ school_id: group.school_id }).orderBy('sequence', 'desc').first('id', 'starts_on'));
  const termRow = await su('terms').where({ id: term.id }).first('starts_on', 'ends_on');
  const assessedOn = today >= termRow.starts_on && today <= termRow.ends_on ? today : termRow.starts_on;
  const auditFrom = Number((await su('audit_events').max('id as m'))[0]!.m ?? 0);
  const before = new Map<string, number[]>();
  for (const p of pupils)
    before.set(
      p,
      items.map(() => 0),
    );
  for (const s of await su('assessment_scores')
    .where({ framework_id: framework.id, term_id: term.id })
    .whereIn('pupil_id', pupils)
    .select('pupil_id', 'item_id', 'value')) {
    before.get(s.pupil_id)![items.indexOf(s.item_id)] = s.value;
  }
  await su.destroy();
  step('read the class, framework and term');

  const staff = ['head@oakfield.test', 'teacher@oakfield.test', 'dsl@oakfield.test', 'senco@oakfield.test'];
  const scoreClients = await Promise.all(
    Array.from({ length: opts.scoreWorkers }, async (_, i) => {
      const c = new Client(origin);
      await c.signIn(staff[i % staff.length]!);
      return c;
    }),
  );
  const noteClients = await Promise.all(
    Array.from({ length: opts.noteWorkers }, async (_, i) => {
      const c = new Client(origin);
      await c.signIn(staff[i % staff.length]!);
      return c;
    }),
  );
  const admin = new Client(origin);
  await admin.signIn('admin@oakfield.test');
  const form = new FormData();
  form.set('mode', 'update');
  form.set('file', new Blob([importCsv(opts.importRows, tag)], { type: 'text/csv' }), 'drill.csv');
  const uploaded = await admin.post('/pupils/import', form);
  const importUrl = uploaded.headers.get('location');
  if (uploaded.status !== 303 || !importUrl) throw new Error(`import upload failed: ${uploaded.status}`);
  const importId = importUrl.split('/').pop()!;
  step('signed in and uploaded the import');
  const fingerprint = /name="fingerprint" value="([0-9a-f]{32})"/.exec(await (await admin.get(importUrl)).text())?.[1];
  if (!fingerprint) throw new Error('import preview has no fingerprint');

  let killed = false;
  const saves: ScoreSave[] = [];
  const notes: { pupilId: string; body: string; status: 'ack' | 'inflight' }[] = [];
  let importStatus = 'inflight' as 'ack' | 'inflight' | 'refused';
  const unexpected: string[] = [];

  const scoreWorker = async (c: Client, mine: string[]) => {
    for (let k = 0; !killed; k++) {
      const pupilId = mine[k % mine.length]!;
      const value = 1 + ((saves.filter((s) => s.pupilId === pupilId).length + (before.get(pupilId)![0]! % 5)) % 5);
      const save: ScoreSave = { pupilId, value, status: 'inflight' };
      saves.push(save);
      // A stamp after every save, so the drill's own saves never meet the stale-edit check (R5).
      const body: Record<string, string> = {
        framework_id: framework.id,
        term_id: term.id,
        assessed_on: assessedOn,
        [`stamp:${pupilId}`]: '9999-12-31T00:00:00.000Z',
      };
      for (const item of items) body[`l:${pupilId}:${item}`] = levels.get(value)!;
      try {
        const res = await c.post(`/groups/${group.id}/grid/rows/${pupilId}`, body);
        await res.arrayBuffer();
        if (res.status === 200) save.status = 'ack';
        else {
          unexpected.push(`score save ${res.status}`);
          saves.splice(saves.indexOf(save), 1);
        }
      } catch {
        return; // the server is gone; this save stays in flight
      }
    }
  };
  const noteWorker = async (c: Client, w: number) => {
    for (let k = 0; !killed; k++) {
      const pupilId = pupils[(w * 7 + k) % pupils.length]!;
      const note = {
        pupilId,
        body: `${tag} note ${w}-${k} ${crypto.randomUUID()}`,
        status: 'inflight' as 'ack' | 'inflight',
      };
      notes.push(note);
      try {
        const res = await c.post(`/pupils/${pupilId}/notes`, {
          sensitivity: 'standard',
          body: note.body,
          submissionKey: crypto.randomUUID(),
        });
        await res.arrayBuffer();
        if (res.status === 303) note.status = 'ack';
        else {
          unexpected.push(`note ${res.status}`);
          notes.splice(notes.indexOf(note), 1);
        }
      } catch {
        return;
      }
    }
  };

  const perWorker = Math.ceil(pupils.length / opts.scoreWorkers);
  const work = [
    ...scoreClients.map((c, i) => scoreWorker(c, pupils.slice(i * perWorker, (i + 1) * perWorker))),
    ...noteClients.map((c, i) => noteWorker(c, i)),
    admin.post(`${importUrl}/confirm`, { fingerprint }).then(
      async (res) => {
        await res.arrayBuffer();
        importStatus = res.status === 303 ? 'ack' : 'refused';
        if (res.status !== 303) unexpected.push(`import confirm ${res.status}`);
      },
      () => undefined,
    ),
  ];
  step('load running');
  await new Promise((r) => setTimeout(r, opts.killAfterMs));
  killed = true;
  server.child.kill('SIGKILL');
  await server.exited;
  await Promise.allSettled(work);
  step('killed');

  const restarted = Date.now();
  const next = await startDrillServer(opts.dataDir, opts.pgPort);
  const restartMs = Date.now() - restarted;
  step('restarted');
  const problems = [...unexpected];
  if ((await fetch(`http://127.0.0.1:${next.port}/readyz`)).status !== 200) problems.push('not ready after restart');

  su = await superuser(opts.dataDir, opts.pgPort);
  try {
    // Scores: each pupil's row is all one value (no half-saved row), the last acknowledged save's or
    // the one in flight after it; one audit row per save that committed and changed something.
    const now = new Map<string, number[]>();
    for (const p of pupils)
      now.set(
        p,
        items.map(() => 0),
      );
    for (const s of await su('assessment_scores')
      .where({ framework_id: framework.id, term_id: term.id })
      .whereIn('pupil_id', pupils)
      .select('pupil_id', 'item_id', 'value')) {
      now.get(s.pupil_id)![items.indexOf(s.item_id)] = s.value;
    }
    const audits = new Map<string, number>();
    for (const a of await su('audit_events')
      .where('id', '>', auditFrom)
      .where({ action: 'assessment.recorded' })
      .select('entity_id'))
      audits.set(a.entity_id, (audits.get(a.entity_id) ?? 0) + 1);
    let scoresInFlightCommitted = 0;
    for (const p of pupils) {
      const mine = saves.filter((s) => s.pupilId === p);
      const row = now.get(p)!;
      const acked = mine.filter((s) => s.status === 'ack');
      const inflight = mine.find((s) => s.status === 'inflight');
      if (!mine.length) {
        if (row.join() !== before.get(p)!.join()) problems.push(`pupil ${p}: scores changed with no save`);
        continue;
      }
      const untouched = row.join() === before.get(p)!.join();
      if (untouched && acked.length) {
        problems.push(`pupil ${p}: ${acked.length} acknowledged saves lost`);
        continue;
      }
      if (!untouched && new Set(row).size !== 1) {
        problems.push(`pupil ${p}: half-applied row ${row.join(',')}`);
        continue;
      }
      const committed = untouched ? [] : inflight && row[0] === inflight.value ? [...acked, inflight] : acked;
      if (inflight && committed.includes(inflight)) scoresInFlightCommitted++;
      const expected = committed.at(-1)?.value;
      if (expected !== undefined && row[0] !== expected)
        problems.push(`pupil ${p}: acknowledged value ${expected} lost (now ${row[0]})`);
      let previous = before.get(p)!;
      let changes = 0;
      for (const s of committed) {
        if (previous.some((v) => v !== s.value)) changes++;
        previous = items.map(() => s.value);
      }
      if ((audits.get(p) ?? 0) !== changes)
        problems.push(`pupil ${p}: ${audits.get(p) ?? 0} audit rows for ${changes} committed saves`);
    }

    // Notes: every acknowledged one is there once; each note written has its audit row.
    const stored = new Map<string, number>();
    for (const n of await su('note_bodies as b')
      .join('notes as n', 'n.id', 'b.note_id')
      .where('b.body', 'like', `${tag} note %`)
      .select('b.body'))
      stored.set(n.body, (stored.get(n.body) ?? 0) + 1);
    const bodiless = Number(
      (
        await su('notes as n').leftJoin('note_bodies as b', 'b.note_id', 'n.id').whereNull('b.note_id').count('* as n')
      )[0]!.n,
    );
    if (bodiless) problems.push(`${bodiless} notes without their text`);
    for (const n of notes)
      if (n.status === 'ack' && stored.get(n.body) !== 1) problems.push(`acknowledged note lost or doubled: ${n.body}`);
    const noteAudits = Number(
      (await su('audit_events').where('id', '>', auditFrom).where({ action: 'note.written' }).count('* as n'))[0]!.n,
    );
    if (noteAudits !== [...stored.values()].reduce((a, b) => a + b, 0))
      problems.push(`${noteAudits} note audit rows for ${stored.size} notes`);

    // The import: wholly applied (every pupil, its history and audit rows, status applied) or not at all.
    const imported = Number((await su('pupils').where('mis_id', 'like', `${tag}%`).count('* as n'))[0]!.n);
    const file = await su('import_files').where({ id: importId }).first('status');
    const applied = Number(
      (
        await su('audit_events')
          .where('id', '>', auditFrom)
          .where({ action: 'import.applied', entity_id: importId })
          .count('* as n')
      )[0]!.n,
    );
    const history = Number(
      (
        await su('pupil_history as h')
          .join('pupils as p', 'p.id', 'h.pupil_id')
          .where('p.mis_id', 'like', `${tag}%`)
          .count('* as n')
      )[0]!.n,
    );
    const whole =
      imported === opts.importRows && file.status === 'applied' && applied === 1 && history === opts.importRows;
    const none = imported === 0 && file.status === 'previewed' && applied === 0 && history === 0;
    if (!whole && !none)
      problems.push(
        `import half-applied: ${imported} pupils, status ${file.status}, ${applied} audit rows, ${history} history rows`,
      );
    if (importStatus === 'ack' && !whole) problems.push('acknowledged import lost');

    const report: DrillReport = {
      acknowledged: {
        scores: saves.filter((s) => s.status === 'ack').length,
        notes: notes.filter((n) => n.status === 'ack').length,
        import: importStatus === 'ack',
      },
      inFlightAtKill: {
        scores: saves.filter((s) => s.status === 'inflight').length,
        notes: notes.filter((n) => n.status === 'inflight').length,
        import: importStatus === 'inflight',
      },
      inFlightCommitted: {
        scores: scoresInFlightCommitted,
        notes: notes.filter((n) => n.status === 'inflight' && stored.has(n.body)).length,
        import: importStatus === 'inflight' && whole,
      },
      problems,
      restartMs,
    };
    return { report, server: next };
  } finally {
    await su.destroy();
  }
}
