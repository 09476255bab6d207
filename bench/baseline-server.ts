/**
 * The "bare baseline" of performance.md: plain node:http and pg, running the class page's SQL and
 * writing the same table by string concatenation, with no session, policy, row-level security or
 * audit. Connects as a superuser (so RLS does not apply). Started by bench/class-page.ts.
 *
 * With BASELINE_REPLAY_FILE (a JSON list of { sql, values }), GET /replay runs those statements one
 * after another with those values and writes every row into HTML tables: the bare baseline of a
 * page whose reads a bench captured from the app (bench/pupil-profile.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.BASELINE_DATABASE_URL, max: 10 });
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

async function classPage(groupId: string): Promise<string> {
  const group = (await pool.query('select id, school_id, name from groups where id = $1', [groupId])).rows[0];
  const fw = (
    await pool.query(
      `select id from frameworks where school_id = $1 and kind = 'wellbeing' and archived_at is null limit 1`,
      [group.school_id],
    )
  ).rows[0];
  const items = (
    await pool.query(
      'select id, name from framework_items where framework_id = $1 and archived_at is null order by position',
      [fw.id],
    )
  ).rows;
  const term = (
    await pool.query(
      `select id, sequence from terms where school_id = $1 and starts_on <= current_date order by sequence desc limit 1`,
      [group.school_id],
    )
  ).rows[0];
  const pupils = (
    await pool.query(
      `select p.id, p.legal_forename, p.preferred_forename, p.surname from pupils p join group_members gm on gm.pupil_id = p.id
      where gm.group_id = $1 and (p.leaving_date is null or p.leaving_date > current_date) order by p.surname, p.legal_forename`,
      [groupId],
    )
  ).rows;
  const scores = (
    await pool.query(
      `select p.pupil_id, i.item_id, x.value, x.rn
       from unnest($1::uuid[]) as p(pupil_id) cross join unnest($2::uuid[]) as i(item_id)
       cross join lateral (
         select s.value, row_number() over (order by s.term_sequence desc) as rn from assessment_scores s
          where s.school_id = $4 and s.pupil_id = p.pupil_id and s.item_id = i.item_id and s.term_sequence <= $3
          order by s.term_sequence desc limit 2) x`,
      [pupils.map((p) => p.id), items.map((i) => i.id), term.sequence, group.school_id],
    )
  ).rows;
  let html = `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>${esc(group.name)}</title></head><body><main><h1>${esc(group.name)}</h1><table><thead><tr><th>Pupil</th>`;
  for (const i of items) html += `<th>${esc(i.name)}</th>`;
  html += '</tr></thead><tbody>';
  for (const p of pupils) {
    html += `<tr><th><a href="/pupils/${p.id}">${esc(p.surname)}, ${esc(p.preferred_forename ?? p.legal_forename)}</a></th>`;
    for (const i of items) {
      const mine = scores.filter((s) => s.pupil_id === p.id && s.item_id === i.id);
      const latest = mine.find((s) => Number(s.rn) === 1)?.value;
      const prev = mine.find((s) => Number(s.rn) === 2)?.value;
      html += `<td>${latest ?? '–'}${latest !== undefined && prev !== undefined ? ` ${latest - prev}` : ''}</td>`;
    }
    html += '</tr>';
  }
  return `${html}</tbody></table></main></body></html>`;
}

const replay: { sql: string; values: (string | null)[] }[] = process.env.BASELINE_REPLAY_FILE
  ? JSON.parse(fs.readFileSync(process.env.BASELINE_REPLAY_FILE, 'utf8'))
  : [];

async function replayPage(): Promise<string> {
  let html = '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Replay</title></head><body><main>';
  for (const statement of replay) {
    const { rows } = await pool.query(statement.sql, statement.values);
    html += '<table><tbody>';
    for (const row of rows) {
      html += '<tr>';
      for (const v of Object.values(row as Record<string, unknown>))
        html += `<td>${esc(v === null ? '' : typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : String(v))}</td>`;
      html += '</tr>';
    }
    html += '</tbody></table>';
  }
  return `${html}</main></body></html>`;
}

const server = http.createServer(async (req, res) => {
  const m = /^\/class\/([0-9a-f-]{36})$/.exec(req.url ?? '');
  if (!m && req.url !== '/replay') {
    res.writeHead(404).end();
    return;
  }
  try {
    const html = m ? await classPage(m[1]!) : await replayPage();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port, ms: 0, msg: 'baseline ready' }));
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
