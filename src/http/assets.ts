import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { paths } from '../paths.js';

interface Asset {
  file: string;
  contentType: string;
  body: Buffer;
}

const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** Third-party browser code we serve ourselves (never from a CDN), copied from node_modules. */
const vendored: Record<string, string> = {
  'vendor/htmx.min.js': path.join(paths.nodeModules, 'htmx.org', 'dist', 'htmx.min.js'),
};

/** Copies vendored files into public/vendor so they are served like our own files. */
export function syncVendorFiles(): void {
  for (const [target, source] of Object.entries(vendored)) {
    const dest = path.join(paths.public, target);
    const body = fs.readFileSync(source);
    if (fs.existsSync(dest) && fs.readFileSync(dest).equals(body)) continue;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, body);
  }
}

function walk(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

export interface Assets {
  /** The fingerprinted URL of a file under public/, e.g. url('css/app.css'). */
  url(file: string): string;
  handler: RequestHandler;
}

/**
 * Fingerprinted static files: /assets/<hash>/<file>, served with `immutable` caching, so repeat
 * page loads fetch nothing. The hash changes whenever the file does.
 */
export function loadAssets(): Assets {
  syncVendorFiles();
  const byUrl = new Map<string, Asset>();
  const urls = new Map<string, string>();
  for (const file of walk(paths.public)) {
    const contentType = contentTypes[path.extname(file)];
    if (!contentType) continue;
    const body = fs.readFileSync(path.join(paths.public, file));
    const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12);
    const url = `/assets/${hash}/${file}`;
    byUrl.set(url, { file, contentType, body });
    urls.set(file, url);
  }
  return {
    url(file) {
      const url = urls.get(file);
      if (!url) throw new Error(`No such asset: ${file}`);
      return url;
    },
    handler(req, res, next) {
      // Browsers ask for /favicon.ico on their own; answer with our icon rather than a 404.
      if (req.path === '/favicon.ico') req.url = urls.get('favicon.svg') ?? req.url;
      const asset = byUrl.get(req.path);
      if (!asset) return next();
      res.setHeader('Content-Type', asset.contentType);
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.send(asset.body);
    },
  };
}
