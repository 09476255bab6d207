import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (the folder with package.json), found from this file so any cwd works. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`package.json not found above ${from}`);
  }
}

export const projectRoot = findRoot(here);

/**
 * Where the code runs from: the repository itself (TypeScript through tsx, in tests) or `dist/`
 * (compiled by `npm start`). Migrations are code, so they come from the same place.
 */
const codeRoot = path.resolve(here, '..');

export const paths = {
  root: projectRoot,
  views: path.join(projectRoot, 'views'),
  public: path.join(projectRoot, 'public'),
  migrations: path.join(codeRoot, 'migrations'),
  nodeModules: path.join(projectRoot, 'node_modules'),
};
