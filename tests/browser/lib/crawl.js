// Follows same-site links breadth-first from a start page, checking every
// page it reaches (axe and the 390 px width, see helpers.js). Only GETs of
// links: forms (log out, publish, vote…) are never submitted. Downloads and
// assets are skipped. Bounded: at most `maxPages` pages, and at most
// `perPattern` pages of one shape (the path with its numbers, ODS codes and
// tokens blanked, and the names of its query parameters), so the crawl sees
// every kind of page rather than all eight practices or every sort order.
// A "Sign in with …" button leaves for the provider (journey 7 follows it).
const SKIP_PATH = [/^\/logout$/, /^\/login\/sso\//, /^\/assets\//, /\.(csv|pdf|json|eml|zip|txt|png|svg|ico|xml|key|ics)$/i, /\/papers\/\d+$/];

function shape(url) {
  const segments = url.pathname.split('/').map((s) => {
    if (/^\d+$/.test(s)) return '{n}';
    if (s.length >= 20) return '{token}';
    if (/^[A-Z][A-Z0-9]{2,5}$/.test(s) && /\d/.test(s)) return '{code}';
    return s;
  });
  const keys = [...new Set(url.searchParams.keys())].sort().join('&');
  return `${segments.join('/')}?${keys}`;
}

function followable(href, origin) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  if (SKIP_PATH.some((re) => re.test(url.pathname))) return null;
  url.hash = '';
  return url;
}

/**
 * Crawls from `starts` (one path or several) as whoever `page` is logged in
 * as. `loginIsProblem` (or a function of the URL saying so): being sent to
 * the login page is a finding (for anyone signed in, and for a link voter). `within`: a path prefix; pages outside it
 * are visited and checked but their links are not followed. `expectedStatus`
 * may allow a non-2xx answer for a page (like a used voting link's 409).
 */
async function crawl(page, starts, checks, { maxPages = 150, perPattern = 2, loginIsProblem = true, within = '/', expectedStatus = () => false } = {}) {
  const origin = new URL(process.env.QUORATE_BROWSER_BASE_URL).origin;
  const firsts = [].concat(starts).map((s) => new URL(s, origin));
  const queue = firsts.map((url) => ({ url, from: '(start)' }));
  const seen = new Set(firsts.map((u) => u.href));
  const shapes = new Map();
  for (const u of firsts) shapes.set(shape(u), (shapes.get(shape(u)) || 0) + 1);
  const visited = [];
  while (queue.length > 0 && visited.length < maxPages) {
    const { url, from } = queue.shift();
    const response = await page.goto(url.href);
    visited.push(url.pathname + url.search);
    const status = response ? response.status() : 0;
    const landed = new URL(page.url());
    seen.add(landed.href);
    const where = `${url.pathname}${url.search} (linked from ${from})`;
    const loginMatters = typeof loginIsProblem === 'function' ? loginIsProblem(url) : loginIsProblem;
    if (loginMatters && landed.pathname === '/login' && url.pathname !== '/login') {
      checks.noteStatus(where, 'was sent to the login page');
      continue;
    }
    if ((status < 200 || status >= 400) && !expectedStatus(url, status)) checks.noteStatus(where, `answered ${status}`);
    const type = response ? (response.headers()['content-type'] || '') : '';
    if (!type.includes('text/html')) continue;
    await checks.checkUnlessSeen(page, 'crawl');
    if (!landed.pathname.startsWith(within)) continue;
    const hrefs = await page.$$eval('a[href]', (links) => links.filter((a) => !a.hasAttribute('download')).map((a) => a.href));
    for (const href of hrefs) {
      const next = followable(href, origin);
      if (!next || seen.has(next.href)) continue;
      seen.add(next.href);
      const key = shape(next);
      const count = shapes.get(key) || 0;
      if (count >= perPattern) continue;
      shapes.set(key, count + 1);
      queue.push({ url: next, from: `${landed.pathname}${landed.search}` });
    }
  }
  return visited;
}

/**
 * As a voter with only the link: from the link and its papers, following
 * links inside the link (and checking, not following, any that lead out).
 * The link itself may answer 403, 409 or 410 by design (voting not open any
 * more, already voted, link no longer valid). Being sent to log in is a
 * finding, except from the site's home page (the header's "Quorate" link),
 * which is the login page for anyone without an account.
 */
function crawlLinkVoter(page, link, checks) {
  const base = new URL(link).pathname;
  return crawl(page, [base, `${base}/papers`], checks, {
    within: base,
    loginIsProblem: (url) => url.pathname !== '/',
    expectedStatus: (url, status) => url.pathname === base && [403, 409, 410].includes(status),
  });
}

module.exports = { crawl, crawlLinkVoter, shape };
