import { expect } from 'chai';
import { HtmlValidate } from 'html-validate';
import { type Browser, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Every page each demo role can reach is valid HTML (issue 15, item 6: duplicate ids made a label
 * tick another form's box). The crawl starts at the role's home page and follows every same-site
 * link, once per route shape (ids collapsed), so a new page is checked without listing it here.
 */
// The standard and document presets: what the HTML standard requires of a whole page, not a style guide.
// They do not flag attributes they do not know, so htmx's hx-* attributes pass as they are; what they
// do check is every attribute HTML defines (ids, labels, ARIA references, allowed values).
// SRI is for resources from another origin; every asset here is our own (the CSP allows only 'self').
const validator = new HtmlValidate({
  extends: ['html-validate:standard', 'html-validate:document'],
  rules: {
    'require-sri': 'off',
    // The error summary (an h2) comes before the page's h1, as in the GOV.UK pattern the forms follow.
    'heading-level': ['error', { minInitialRank: 'h2' }],
  },
});

const roles = [
  'operator@waypoint.test',
  'trust.admin@northstar.test',
  'officer@westshire.test',
  'admin@oakfield.test',
  'head@oakfield.test',
  'dsl@oakfield.test',
  'senco@oakfield.test',
  'teacher@oakfield.test',
  'ta@oakfield.test',
  'parent@oakfield.test',
];
const anonymousPages = ['/sign-in', '/forgot-password', '/signed-out', '/no-such-page'];
/** Pages a link does not reach but a person does (forms' own pages, error pages). */
const extraPages = [
  '/interventions/new',
  '/pupils/new',
  '/groups/new',
  '/staff/invite',
  '/support-flags',
  '/no-such-page',
];
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const maxPagesPerRole = 80;

async function problemsOf(html: string): Promise<string[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((r) =>
    r.messages
      .filter((m) => m.severity === 2)
      .map(
        (m) =>
          `${m.line}:${m.column} ${m.ruleId}: ${m.message} «${html.split('\n')[m.line - 1]?.trim().slice(0, 160)}»`,
      ),
  );
}

/** Fetches pages from `start`, following links, and returns each page's validation problems. */
async function crawl(b: Browser, start: string[]): Promise<Map<string, string[]>> {
  const seenShapes = new Set<string>();
  const queue = [...start];
  const found = new Map<string, string[]>();
  while (queue.length && found.size < maxPagesPerRole) {
    const url = queue.shift()!;
    const shape = url.split('?')[0]!.replace(uuid, ':id');
    if (seenShapes.has(shape)) continue;
    seenShapes.add(shape);
    const res = await b.get(url);
    if (res.status === 302 || res.status === 303) {
      const to = res.headers.location ?? '';
      if (to.startsWith('/')) queue.unshift(to);
      continue;
    }
    if (!/text\/html/.test(res.headers['content-type'] ?? '')) continue;
    found.set(`${url} (${res.status})`, await problemsOf(res.text));
    for (const [, href] of res.text.matchAll(/<a [^>]*href="(\/[^"#]*)/g)) {
      const link = href!.replace(/&amp;/g, '&');
      if (!link.startsWith('/assets/') && !link.endsWith('.csv')) queue.push(link);
    }
  }
  return found;
}

describe('HTML validity of every page (html-validate)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('the validator catches a duplicate id (so a pass below means something)', async () => {
    const problems = await problemsOf(
      '<!doctype html><html lang="en"><head><title>x</title></head><body><p id="a">1</p><p id="a">2</p></body></html>',
    );
    expect(problems.join('\n')).to.contain('no-dup-id');
  });

  it('anonymous pages are valid HTML', async () => {
    const found = await crawl(app.browser(), anonymousPages);
    const invalid = [...found].filter(([, p]) => p.length);
    expect(invalid.map(([url, p]) => `${url}\n  ${p.join('\n  ')}`).join('\n')).to.equal('');
  });

  for (const email of roles) {
    it(`every page ${email} reaches is valid HTML`, async () => {
      const b = await app.signIn(email);
      const found = await crawl(b, ['/', ...extraPages]);
      expect(found.size, 'pages checked').to.be.greaterThan(2);
      const invalid = [...found].filter(([, p]) => p.length);
      expect(invalid.map(([url, p]) => `${url}\n  ${p.join('\n  ')}`).join('\n')).to.equal('');
    });
  }

  it('a failed form on a page of several forms is valid and its error summary points at its own field', async () => {
    const b = await app.signIn('teacher@oakfield.test');
    const home = await b.get('/');
    const group = /href="(\/groups\/[0-9a-f-]{36})"/.exec(home.text)![1]!;
    const pupil = /href="(\/pupils\/[0-9a-f-]{36})"/.exec((await b.get(group)).text)![1]!;
    const notes = (await b.get(`${pupil}/notes`)).text;
    const key = /name="submissionKey" value="([^"]+)"/.exec(notes)![1]!;
    const res = await b.post(
      `${pupil}/observations`,
      { observed_on: '', body: '', submissionKey: key },
      { tokenFrom: `${pupil}/notes` },
    );
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('href="#f-observation-body"');
    expect(res.text).to.match(/id="f-observation-body"[^>]*aria-invalid="true"/);
    expect(await problemsOf(res.text)).to.deep.equal([]);
  });
});
