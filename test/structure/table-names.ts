import fs from 'node:fs';
import path from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * Finds the tables a TypeScript file names, with typescript-eslint's parser (a maintained parser,
 * not a home-made one): the first argument of knex calls (`trx('x as y')`, `.from('x')`,
 * `.join('x')` and the other joins, `.into('x')`, `.table('x')`), an Objection model's
 * `tableName`, and SQL text in any string or template (`from x`, `join x`, `into x`, `update x`,
 * `delete from x`, `exists (select … from x`).
 */

export interface TableUse {
  table: string;
  line: number;
  how: string;
}

/** Builder methods whose first argument is a table (knex). A plain call `trx('x')` counts too. */
const tableMethods = new Set([
  'from',
  'into',
  'table',
  'join',
  'innerJoin',
  'leftJoin',
  'leftOuterJoin',
  'rightJoin',
  'rightOuterJoin',
  'fullOuterJoin',
  'crossJoin',
]);

/** A table after an SQL keyword; an optional `only`, schema `public.` or double quotes are skipped. */
const sqlTable = /\b(from|join|into|update|table)\s+(?:only\s+)?(?:public\.)?"?([a-z_][a-z0-9_]*)"?/gi;

/** typescript-eslint's parser; its exported type is loose, so the one call used is named here. */
const parser = tseslint.parser as unknown as { parseForESLint(code: string, options: object): { ast: unknown } };

interface Node {
  type: string;
  loc?: { start: { line: number } };
  [key: string]: unknown;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';

/** The text of a string literal, or of a template without `${…}`. */
function fixedText(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0)
    return ((node.quasis as Node[])[0]!.value as { cooked: string }).cooked;
  return null;
}

/** Every table of `known` that the source names, where, and how. */
export function tablesNamed(source: string, known: ReadonlySet<string>): TableUse[] {
  const { ast } = parser.parseForESLint(source, { loc: true, range: true, sourceType: 'module' });
  const uses: TableUse[] = [];
  const add = (table: string, node: Node, how: string) => {
    if (known.has(table)) uses.push({ table, line: node.loc?.start.line ?? 0, how });
  };
  const sqlIn = (text: string, node: Node) => {
    for (const m of text.matchAll(sqlTable)) add(m[2]!, node, `SQL "${m[1]!.toLowerCase()} ${m[2]}"`);
  };
  const visit = (node: Node) => {
    if (node.type === 'CallExpression') {
      const callee = node.callee as Node;
      const name =
        callee.type === 'Identifier'
          ? (callee.name as string)
          : callee.type === 'MemberExpression' && (callee.property as Node).type === 'Identifier'
            ? ((callee.property as Node).name as string)
            : null;
      const first = fixedText((node.arguments as unknown[])[0]);
      if (name && first && (callee.type === 'Identifier' || tableMethods.has(name))) {
        const table = /^([a-z_][a-z0-9_]*)(\s+as\s+\w+)?$/i.exec(first.trim())?.[1];
        if (table) add(table, node, `${name}('${first}')`);
      }
    }
    if ((node.type === 'PropertyDefinition' || node.type === 'Property') && isNode(node.key)) {
      const key = node.key.name ?? node.key.value;
      const text = fixedText(node.value);
      if (key === 'tableName' && text) add(text, node, `tableName = '${text}'`);
    }
    if (node.type === 'Literal' && typeof node.value === 'string') sqlIn(node.value, node);
    if (node.type === 'TemplateLiteral') {
      // Each `${…}` stands for an unknown word, so "from ${t}" names nothing.
      const text = (node.quasis as Node[]).map((q) => (q.value as { cooked: string }).cooked).join(' ${} ');
      sqlIn(text, node);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent' || key === 'loc' || key === 'range') continue;
      if (Array.isArray(value)) value.filter(isNode).forEach(visit);
      else if (isNode(value)) visit(value);
    }
  };
  visit(ast as Node);
  return uses;
}

/** The .ts files under a folder, as paths relative to `root`, sorted. */
export function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = path.posix.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

export interface Violation {
  file: string;
  module: string;
  table: string;
  owner: string;
  line: number;
  how: string;
}

/** Every place a module's file names a table another module owns. */
export function ownershipViolations(root: string, ownerOf: ReadonlyMap<string, string>): Violation[] {
  const known = new Set(ownerOf.keys());
  const violations: Violation[] = [];
  for (const file of tsFiles(root, 'src/modules')) {
    const module = file.split('/')[2]!;
    for (const use of tablesNamed(fs.readFileSync(path.join(root, file), 'utf8'), known)) {
      const owner = ownerOf.get(use.table)!;
      if (owner !== module) violations.push({ file, module, owner, ...use });
    }
  }
  return violations;
}
