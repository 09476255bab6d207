import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file so start-up works from any cwd. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const paths = {
  root: projectRoot,
  views: path.join(projectRoot, 'views'),
  public: path.join(projectRoot, 'public'),
  migrations: path.join(projectRoot, 'migrations'),
  nodeModules: path.join(projectRoot, 'node_modules'),
};
