/**
 * Staff page weight (performance.md: first load ≤ 100 KB compressed including htmx and CSS; repeat
 * loads use cached assets, `Cache-Control: immutable` on fingerprinted files). A teacher's first
 * load of the home page and of their class page: the HTML and every stylesheet, script, icon and
 * image it references (and any url() in the stylesheets), fetched with `Accept-Encoding: gzip, br`,
 * counting the body bytes as sent (compressed) and the header bytes. Then the class page after the
 * home page, with the assets already cached. If Debian's Chromium is installed (as for the browser
 * tests), it loads both pages too and the bench lists what it fetched, so a sub-resource the
 * parsing here misses shows up.
 *
 * On 127.0.0.1; stops by itself. Prints figures and never fails on a size.
 *
 *   npm run bench:page-weight
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { chromiumAvailable, chromiumFlags, chromiumPath } from '../test/helpers/browser.js';
import { seedSchool, signInCookie, startBenchServer, withBenchDatabase } from './lib.js';

const budgetKb = 100;

interface Fetched {
  path: string;
  status: number;
  contentType: string;
  encoding: string;
  bodyBytes: number;
  headerBytes: number;
  cacheControl: string;
  text: string;
}

/** GET with a browser's compression, counting the bytes on the wire (node:http does not decompress). */
function get(origin: string, path: string, cookie: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${origin}${path}`, { headers: { cookie, 'accept-encoding': 'gzip, br' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = String(res.headers['content-encoding'] ?? 'identity');
        const contentType = String(res.headers['content-type'] ?? '');
        const readable = /^(text\/|image\/svg)/.test(contentType);
        const decoded = !readable
          ? ''
          : encoding === 'br'
            ? zlib.brotliDecompressSync(raw).toString('utf8')
            : encoding === 'gzip'
              ? zlib.gunzipSync(raw).toString('utf8')
              : raw.toString('utf8');
        const headerBytes =
          `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length +
          // each name is followed by ': ' and each value by CRLF
          res.rawHeaders.reduce((n, h) => n + Buffer.byteLength(h) + 2, 0) +
          2;
        resolve({
          path,
          status: res.statusCode ?? 0,
          contentType,
          encoding,
          bodyBytes: raw.length,
          headerBytes,
          cacheControl: String(res.headers['cache-control'] ?? ''),
          text: decoded,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Same-origin sub-resources a page's HTML asks for: stylesheets and icons, scripts, images. */
function referencedBy(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = /\brel="([^"]+)"/i.exec(m[0])?.[1] ?? '';
    const href = /\bhref="([^"]+)"/i.exec(m[0])?.[1];
    if (href && /stylesheet|icon|preload|modulepreload/i.test(rel)) found.add(href);
  }
  for (const m of html.matchAll(/<(?:script|img|source)\b[^>]*\bsrc="([^"]+)"/gi)) found.add(m[1]!);
  return [...found].filter((u) => u.startsWith('/') && !u.startsWith('//'));
}

const cssUrls = (css: string) =>
  [...css.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)].map((m) => m[1]!).filter((u) => u.startsWith('/'));

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

await withBenchDatabase(async (database) => {
  const school = await seedSchool(database, 1500);
  const app = await startBenchServer(database);
  try {
    const { origin } = app;
    const cookie = await signInCookie(origin, school.teacherEmail);
    const pages = { home: '/', 'class-page': `/groups/${school.groupId}` };
    const cached = new Set<string>();
    const assetsSeen = new Map<string, Fetched>();
    for (const [name, path] of Object.entries(pages)) {
      const page = await get(origin, path, cookie);
      if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
      const queue = referencedBy(page.text);
      const assets: Fetched[] = [];
      for (let i = 0; i < queue.length; i++) {
        const a = assetsSeen.get(queue[i]!) ?? (await get(origin, queue[i]!, cookie));
        assetsSeen.set(a.path, a);
        assets.push(a);
        for (const u of a.contentType.startsWith('text/css') ? cssUrls(a.text) : [])
          if (!queue.includes(u)) queue.push(u);
      }
      console.log(
        `  html ${name} ${path === '/' ? '/' : '/groups/<id>'} status=${page.status} encoding=${page.encoding} bytes=${page.bodyBytes} header_bytes=${page.headerBytes}`,
      );
      for (const a of assets)
        console.log(
          `  asset ${a.path} status=${a.status} type=${a.contentType.split(';')[0]} encoding=${a.encoding} bytes=${a.bodyBytes} immutable=${/\bimmutable\b/.test(a.cacheControl) ? 'yes' : 'no'}`,
        );
      const body = page.bodyBytes + assets.reduce((n, a) => n + a.bodyBytes, 0);
      const headers = page.headerBytes + assets.reduce((n, a) => n + a.headerBytes, 0);
      console.log(
        `page-weight ${name} first_load_kb=${kb(body)} html_kb=${kb(page.bodyBytes)} assets=${assets.length} assets_kb=${kb(body - page.bodyBytes)} header_kb=${kb(headers)} budget_kb=${budgetKb}`,
      );
      // After the first page, the browser has the immutable assets: only the HTML and anything new.
      const fresh = assets.filter((a) => !(cached.has(a.path) && /\bimmutable\b/.test(a.cacheControl)));
      if (cached.size)
        console.log(
          `page-weight ${name}-after-home load_kb=${kb(page.bodyBytes + fresh.reduce((n, a) => n + a.bodyBytes, 0))} assets_fetched=${fresh.length}`,
        );
      for (const a of assets) cached.add(a.path);
    }
    const all = [...assetsSeen.values()];
    console.log(
      `assets-immutable ${all.filter((a) => /\bimmutable\b/.test(a.cacheControl)).length}_of_${all.length} uncompressed_text=${
        all
          .filter((a) => a.encoding === 'identity' && /^(text\/|image\/svg)/.test(a.contentType))
          .map((a) => a.path.split('/').pop())
          .join(',') || 'none'
      }`,
    );

    if (!chromiumAvailable()) {
      console.log(`chromium not found at ${chromiumPath}: no list of what a browser loads`);
      return;
    }
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
    try {
      const [cookieName, cookieValue] = cookie.split('=') as [string, string];
      for (const [name, path] of Object.entries(pages)) {
        // A fresh context per page: an empty cache, as a first load.
        const context = await browser.newContext({ baseURL: origin });
        await context.addCookies([{ name: cookieName, value: cookieValue, url: origin }]);
        const page = await context.newPage();
        const loaded: { path: string; bytes: number }[] = [];
        page.on('requestfinished', (r) => {
          void r.sizes().then((s) => loaded.push({ path: new URL(r.url()).pathname, bytes: s.responseBodySize }));
        });
        await page.goto(path, { waitUntil: 'load' });
        await page.waitForTimeout(300);
        await context.close();
        const known = new Set([path, ...assetsSeen.keys()]);
        const missed = loaded.filter((l) => !known.has(l.path)).map((l) => l.path);
        console.log(
          `chromium ${name} requests=${loaded.length} body_kb=${kb(loaded.reduce((n, l) => n + l.bytes, 0))} not_counted_above=${missed.join(',') || 'none'}`,
        );
      }
    } finally {
      await browser.close();
    }
  } finally {
    await app.stop();
  }
});
