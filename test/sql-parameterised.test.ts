import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../src/paths.js';

/**
 * I2: every SQL text in src/ is fixed: a string literal, or a template whose every `${…}` is a
 * module-level constant of fixed text (in this file or imported from another src file), or a call
 * to a helper that validates or escapes what it inlines. Values travel as bindings. Calls that
 * build SQL any other way must be listed below with the reason they are safe; a listed call that no
 * longer exists fails the test too, so the list stays true.
 *
 * TypeScript 7's compiler has no JavaScript parser API (only an unstable IPC one), so this is a
 * careful scanner: it tokenises strings, templates (nested), comments and regular expressions,
 * then reads the first argument of each call.
 */

/** Calls whose first argument is SQL text: knex's raw family and pg's query. */
const sqlCall =
  /^(raw|query|whereRaw|orWhereRaw|andWhereRaw|havingRaw|orHavingRaw|joinRaw|orderByRaw|groupByRaw|selectRaw|fromRaw|onRaw)$/;
/** Wrappers in src/db that pass their SQL argument on; their callers' SQL is checked instead (argument index). */
const sqlWrappers: Record<string, number> = {
  prepared: 2,
  readOnce: 1,
  inlineUuids: 0,
  readBySession: 2,
  inlineSessionValues: 0,
};
/** Helpers whose output may be inlined: each validates or escapes what it is given. */
const escapingHelpers: Record<string, string> = {
  ident: 'src/db/provision.ts: refuses anything but [a-z_][a-z0-9_]*, then double-quotes it',
  literal: "src/db/provision.ts: doubles every ' (standard_conforming_strings is on), for role passwords only",
  inlineUuids: 'src/db/index.ts: refuses anything but UUIDs, then pg.escapeLiteral',
  setActorLiteralSql:
    'src/db/actor-sql.ts: refuses any actor setting but a UUID, a kind or a list of role names, then pg.escapeLiteral',
  escapeLiteral: "pg's own literal escaping",
  inlineSessionValues:
    'src/db/session-read.ts: refuses any session id but base64url and any time but a whole number, then pg.escapeLiteral',
  sessionUserLiteralSql: 'src/db/session-read.ts: a fixed statement through inlineSessionValues',
};

interface Allowed {
  file: string;
  contains: string;
  reason: string;
}
const allowlist: Allowed[] = [
  {
    file: 'src/db/index.ts',
    contains: 'trx.raw(sql, bindings)',
    reason: "prepared(): the SQL is its caller's (checked at each prepared() call); values are bindings",
  },
  {
    file: 'src/db/actor-client.ts',
    contains: 'BEGIN; ${this.afterBegin}',
    reason:
      "afterBegin only ever holds actorPreludeSql(actor, planner) (withActor): setActorLiteralSql, which validates and escapes, a fixed statement with the actor's UUIDs checked and escaped, and planner settings from a fixed list",
  },
  {
    file: 'src/db/actor-client.ts',
    contains: '${before}; COMMIT;',
    reason:
      'before only ever holds literalInsertSql(table, row) statements (src/db/at-commit.ts): names checked against [a-z_][a-z0-9_]* and double-quoted, values as pg would send them, NUL refused, then pg.escapeLiteral',
  },
  {
    file: 'src/db/migrate.ts',
    contains: 'grant usage on schema public to ${role}',
    reason: 'role = ident(runtime role name) from configuration',
  },
  {
    file: 'src/db/migrate.ts',
    contains: 'revoke all on ${table} from ${role}',
    reason: 'table = ident(name from pg_tables), role = ident(configured role)',
  },
  {
    file: 'src/db/migrate.ts',
    contains: "grant ${privileges.join(', ')} on ${table} to ${role}",
    reason: 'privileges come from the constant runtimePrivilegeLimits; table and role are ident()',
  },
  {
    file: 'src/db/migrate.ts',
    contains: 'grant usage, select on all sequences in schema public to ${role}',
    reason: 'role = ident(configured role)',
  },
  {
    file: 'src/db/provision.ts',
    contains: '${verb} role ${ident(name)}',
    reason: "verb is 'create' or 'alter'; name is ident(); the password is literal()",
  },
  {
    file: 'src/db/restore.ts',
    contains: 'insert into ${target} (${cols}) overriding system value',
    reason:
      'target and cols are ident() of names this schema has (checked against pg_attribute); rows are one bound json parameter',
  },
  {
    file: 'src/db/restore.ts',
    contains: "truncate table ${names.map((n) => `public.${ident(n)}`).join(', ')}",
    reason: 'table names from pg_class, through ident()',
  },
  {
    file: 'src/modules/pupils/queries.ts',
    contains: 'q.orderByRaw(`${first} ${f.dir} nulls last`)',
    reason: 'first comes from the constant sortColumns map keyed by the zod-enum sort; f.dir is the zod enum asc|desc',
  },
  {
    file: 'src/modules/pupils/queries.ts',
    contains: 'q.orderByRaw(`${c} asc`)',
    reason: 'c comes from the constant sortColumns map',
  },
];

type Token =
  | { kind: 'id' | 'str' | 'punct' | 'num' | 'regex'; text: string; pos: number }
  | { kind: 'tpl'; text: string; pos: number; parts: Token[][] };

function tokenize(src: string, start = 0, untilBrace = false): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = start;
  let depth = 0;
  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === 'id') return /^(return|typeof|case|in|of|new|delete|void|throw|yield|await)$/.test(prev.text);
    return prev.kind === 'punct' && !/^[)\]}]$/.test(prev.text);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      i = src.indexOf('\n', i);
      if (i < 0) i = src.length;
      continue;
    }
    if (src.startsWith('/*', i)) {
      i = src.indexOf('*/', i + 2) + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'str', text: src.slice(i, j + 1), pos: i });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const parts: Token[][] = [];
      let j = i + 1;
      while (src[j] !== '`') {
        if (src[j] === '\\') {
          j += 2;
          continue;
        }
        if (src.startsWith('${', j)) {
          const inner = tokenize(src, j + 2, true);
          parts.push(inner.tokens);
          j = inner.end + 1;
          continue;
        }
        j++;
      }
      tokens.push({ kind: 'tpl', text: src.slice(i, j + 1), pos: i, parts });
      i = j + 1;
      continue;
    }
    if (c === '/' && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (src[j] !== '/' || inClass) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      j++;
      while (/[a-z]/i.test(src[j] ?? '')) j++;
      tokens.push({ kind: 'regex', text: src.slice(i, j), pos: i });
      i = j;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 200));
    if (id) {
      tokens.push({ kind: 'id', text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const num = /^\d[\d_.xXa-fA-FnEe]*/.exec(src.slice(i, i + 50));
    if (num) {
      tokens.push({ kind: 'num', text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    if (untilBrace) {
      if (c === '{') depth++;
      if (c === '}') {
        if (depth === 0) return { tokens, end: i };
        depth--;
      }
    }
    const punct = /^(=>|\?\.|\.\.\.|[=!]==?|[<>]=?|&&|\|\||\?\?|\+\+|--|.)/s.exec(src.slice(i, i + 3))![0];
    tokens.push({ kind: 'punct', text: punct, pos: i });
    i += punct.length;
  }
  return { tokens, end: i };
}

/** The tokens of each argument of the call whose `(` is at tokens[open]. */
function callArgs(tokens: Token[], open: number): Token[][] {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let k = open + 1; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'punct' && /^[([{]$/.test(t.text)) depth++;
    if (t.kind === 'punct' && /^[)\]}]$/.test(t.text)) {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && t.kind === 'punct' && t.text === ',') {
      args.push([]);
      continue;
    }
    args.at(-1)!.push(t);
  }
  return args;
}

interface FileInfo {
  rel: string;
  src: string;
  tokens: Token[];
  consts: Map<string, Token[]>;
  imports: Map<string, string>;
}
const files = new Map<string, FileInfo>();

function load(file: string): FileInfo {
  const known = files.get(file);
  if (known) return known;
  const src = fs.readFileSync(file, 'utf8');
  const { tokens } = tokenize(src);
  const consts = new Map<string, Token[]>();
  const imports = new Map<string, string>();
  let depth = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'punct' && t.text === '{') depth++;
    if (t.kind === 'punct' && t.text === '}') depth--;
    if (
      depth === 0 &&
      t.kind === 'id' &&
      t.text === 'const' &&
      tokens[k + 1]?.kind === 'id' &&
      tokens[k + 2]?.text === '='
    ) {
      const init: Token[] = [];
      let d = 0;
      for (let m = k + 3; m < tokens.length; m++) {
        const u = tokens[m]!;
        if (u.kind === 'punct' && /^[([{]$/.test(u.text)) d++;
        if (u.kind === 'punct' && /^[)\]}]$/.test(u.text)) d--;
        if (d === 0 && u.kind === 'punct' && u.text === ';') break;
        if (d === 0 && m > k + 3 && u.kind === 'id' && /^(const|export|function|let|import)$/.test(u.text)) break;
        init.push(u);
      }
      consts.set(tokens[k + 1]!.text, init);
    }
    if (depth === 0 && t.kind === 'id' && t.text === 'import') {
      const names: string[] = [];
      let m = k + 1;
      for (; m < tokens.length && tokens[m]!.text !== 'from'; m++)
        if (tokens[m]!.kind === 'id' && tokens[m]!.text !== 'type') names.push(tokens[m]!.text);
      const from = tokens[m + 1]?.text.slice(1, -1) ?? '';
      if (from.startsWith('.'))
        for (const n of names) imports.set(n, path.resolve(path.dirname(file), from.replace(/\.js$/, '.ts')));
    }
  }
  const info = { rel: path.relative(projectRoot, file), src, tokens, consts, imports };
  files.set(file, info);
  return info;
}

/** Is this expression fixed SQL text (or a fixed helper's escaped output)? */
function fixed(info: FileInfo, expr: Token[], seen = new Set<string>()): boolean {
  if (expr.length === 1) {
    const t = expr[0]!;
    if (t.kind === 'str' || t.kind === 'num') return true;
    if (t.kind === 'tpl') return t.parts.every((p) => fixed(info, p, seen));
    if (t.kind === 'id') return constant(info, t.text, seen);
  }
  // A call of a module-level constant arrow function with fixed arguments, e.g. fsmEligibleNow().
  if (expr[0]?.kind === 'id' && expr[1]?.text === '(' && expr.at(-1)?.text === ')') {
    if (escapingHelpers[expr[0].text]) return true;
    const args = callArgs(expr, 1).filter((a) => a.length);
    return constant(info, expr[0].text, seen) && args.every((a) => fixed(info, a, seen));
  }
  if (expr.length >= 3 && expr[1]?.text === '.' && expr[2]?.text === 'escapeLiteral') return true;
  // `condition ? 'a' : 'b'`: the condition only chooses between fixed texts.
  const q = expr.findIndex((t) => t.text === '?');
  const colon = expr.findIndex((t, i) => i > q && t.text === ':');
  if (q > 0 && colon > q && !expr.some((t, i) => i > q && t.text === '?'))
    return fixed(info, expr.slice(q + 1, colon), seen) && fixed(info, expr.slice(colon + 1), seen);
  return false;
}

function constant(info: FileInfo, name: string, seen: Set<string>): boolean {
  const key = `${info.rel}:${name}`;
  if (seen.has(key)) return false;
  seen.add(key);
  const init = info.consts.get(name);
  if (init) {
    // An arrow function whose body is a template of its own parameters and constants.
    const arrow = init.findIndex((t) => t.text === '=>');
    if (arrow > 0) {
      const params = new Set(
        init
          .slice(0, arrow)
          .filter((t) => t.kind === 'id')
          .map((t) => t.text),
      );
      const body = init.slice(arrow + 1);
      return (
        body.length === 1 &&
        body[0]!.kind === 'tpl' &&
        body[0]!.parts.every((p) => (p.length === 1 && params.has(p[0]!.text)) || fixed(info, p, seen))
      );
    }
    return fixed(info, init, seen);
  }
  const from = info.imports.get(name);
  return from !== undefined && fs.existsSync(from) && constant(load(from), name, seen);
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

export function unparameterisedCalls(
  root = path.join(projectRoot, 'src'),
): { file: string; line: number; code: string }[] {
  const found: { file: string; line: number; code: string }[] = [];
  for (const file of sourceFiles(root)) {
    const info = load(file);
    const scan = (tokens: Token[]) => {
      for (let k = 0; k < tokens.length; k++) {
        const t = tokens[k]!;
        // Calls inside a template's ${…} are calls too.
        if (t.kind === 'tpl') t.parts.forEach(scan);
        if (k === 0 || t.kind !== 'id' || tokens[k + 1]?.text !== '(') continue;
        const method = tokens[k - 1]!.text === '.' && sqlCall.test(t.text);
        const wrapper =
          sqlWrappers[t.text] !== undefined && tokens[k - 1]!.text !== '.' && tokens[k - 1]!.text !== 'function';
        if (!method && !wrapper) continue;
        if (t.text === 'query' && tokens[k - 2]?.kind === 'id' && /^[A-Z]/.test(tokens[k - 2]!.text)) continue; // objection's Model.query(trx)
        const args = callArgs(tokens, k + 1);
        const sql = args[method ? 0 : sqlWrappers[t.text]!] ?? [];
        if (!sql.length || fixed(info, sql)) continue;
        const line = info.src.slice(0, t.pos).split('\n').length;
        const last = sql.at(-1)!;
        const end = info.src.indexOf('\n', last.pos + last.text.length);
        found.push({
          file: info.rel,
          line,
          code: info.src.slice(tokens[k - 2]?.pos ?? t.pos, end < 0 ? undefined : end).trim(),
        });
      }
    };
    scan(info.tokens);
  }
  return found;
}

describe('Parameterised SQL (I2)', () => {
  it('I2: every query in src is fixed SQL text with values as bindings; the few that inline names are listed with their reason', () => {
    const found = unparameterisedCalls();
    const unexplained = found.filter((f) => !allowlist.some((a) => a.file === f.file && f.code.includes(a.contains)));
    expect(
      unexplained.map((f) => `${f.file}:${f.line}: ${f.code.split('\n')[0]}`),
      'SQL built from something that is not fixed text',
    ).to.deep.equal([]);
    const stale = allowlist.filter((a) => !found.some((f) => f.file === a.file && f.code.includes(a.contains)));
    expect(
      stale.map((a) => `${a.file}: ${a.contains}`),
      'allowlist entries that match nothing',
    ).to.deep.equal([]);
  });

  it('I2: the scanner finds a query built from a request value (it can fail)', () => {
    const dir = fs.mkdtempSync(path.join(projectRoot, 'test', '.i2-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'bad.ts'),
        [
          "const fixedPart = 'p.surname';",
          "export const a = (trx: any, req: any) => trx.raw(`select * from pupils where surname = '${req.query.q}'`);",
          "export const b = (trx: any, q: string) => trx('pupils').whereRaw('surname = ' + q);",
          'export const c = (trx: any) => trx.raw(`select ${fixedPart} from pupils where id = ?`, [1]);',
          'export const d = (client: any, sql: string) => client.query(sql);',
        ].join('\n'),
      );
      const lines = unparameterisedCalls(dir).map((f) => f.line);
      expect(lines).to.deep.equal([2, 3, 5]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
