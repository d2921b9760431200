// What every spec shares: the demo accounts, logging in, the page checks
// (axe and the 390 px width) with their collected findings, the voting link
// from the notice email, and steps that may or may not ask for confirmation.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { expect } = require('@playwright/test');
const { AxeBuilder } = require('@axe-core/playwright');

const DOMAIN = 'demo.quorate.invalid';
const BALLOT_TITLE = 'Demo: primary care co-commissioning';
const CONSULTATION_TITLE = 'Demo: co-commissioning, the options';

/** The demo accounts by the part of their address before the @. */
const PEOPLE = {
  systemAdmin: `admin@${DOMAIN}`,
  board: `board@${DOMAIN}`,
  returningOfficer: `returning.officer@${DOMAIN}`,
  observer: `lmc.observer@${DOMAIN}`,
  committee: `committee@${DOMAIN}`,
  manager: (ods) => `manager.${ods.toLowerCase()}@${DOMAIN}`,
};

function demo() {
  const raw = process.env.QUORATE_BROWSER_DEMO;
  if (!raw) throw new Error('No demo data: the suite must be started by tests/browser/run.sh (global-setup.js)');
  return JSON.parse(raw);
}

/**
 * An authenticator app: the RFC 6238 code (HMAC-SHA-1, 6 digits, 30-second
 * steps) of a base32 key at a time in seconds.
 */
function oneTimeCode(base32Key, unixSeconds) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...base32Key.replace(/\s/g, '')].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

function twoFactorStore() {
  const file = process.env.QUORATE_BROWSER_TWO_FACTOR;
  const all = file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  return { all, save: () => file && fs.writeFileSync(file, JSON.stringify(all)) };
}

/**
 * The second step of signing in, as the account's owner does it: set up
 * the app the first time (a staff role needs it), a code from the app
 * after that. A code is taken once, so when the app's next code has been
 * used already a recovery code stands in, as it would for someone in a
 * hurry; the pages are checked like any other.
 */
async function secondFactor(page, email, checks) {
  const store = twoFactorStore();
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toBeVisible();
  const title = await heading.textContent();
  if (title.includes('Set up two-factor sign-in')) {
    if (checks) await checks.check(page, 'two-factor set-up');
    const key = (await page.locator('#setup-key').textContent()).replace(/\s/g, '');
    const step = Math.floor(Date.now() / 1000 / 30);
    await page.getByLabel('Code from your app').fill(oneTimeCode(key, step * 30));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Two-factor sign-in is on' })).toBeVisible();
    if (checks) await checks.check(page, 'recovery codes');
    const recovery = await page.locator('#recovery-codes code').allTextContents();
    expect(recovery).toHaveLength(10);
    store.all[email] = { key, lastStep: step, recovery };
    store.save();
    await page.getByRole('button', { name: 'I have kept my codes, continue' }).click();
    return;
  }
  expect(title).toContain('Enter the code from your authenticator app');
  if (checks) await checks.check(page, 'two-factor code');
  const held = store.all[email];
  if (!held) throw new Error(`${email} asks for a code but set none up in this run`);
  const next = Math.floor(Date.now() / 1000 / 30) + 1;
  let code;
  if (next > held.lastStep) {
    held.lastStep = next;
    code = oneTimeCode(held.key, next * 30);
  } else {
    code = held.recovery.shift();
    if (!code) throw new Error(`${email} has used every recovery code in this run`);
  }
  store.save();
  await page.getByLabel('Enter the code from your authenticator app').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Logs in through the login page (and its second step) and lands on the home page. */
async function logIn(page, email, checks) {
  const { password, accounts } = demo();
  if (!accounts.some((a) => a.email === email)) throw new Error(`${email} is not a demo account`);
  await page.goto('/login');
  await expect(page.getByRole('heading', { level: 1, name: 'Log in to Quorate' })).toBeVisible();
  if (checks) await checks.check(page, 'login page');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
  const landed = new URL(page.url()).pathname;
  if (landed === '/login/two-factor' || landed === '/login/code') await secondFactor(page, email, checks);
  await expect(page.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/');
}

// ---------------------------------------------------------------------------
// Page checks: axe (serious and critical only) at the current width, and the
// page's width at 390 px. Findings are collected and asserted at the end of
// a test, so one run lists every page state that fails.

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const NARROW = { width: 390, height: 844 };

/** In the page: what makes it wider than `limit` px (the elements and the text that start the overflow). */
function overflowCauses(limit) {
  const slack = 0.5;
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += `#${e.id}`;
      const classes = [...e.classList].slice(0, 2);
      if (classes.length) part += `.${classes.join('.')}`;
      parts.unshift(part);
      if (e.id) break;
    }
    return parts.join(' > ');
  };
  // Whether an ancestor that clips or scrolls sideways keeps `el` from
  // widening the page. An absolutely positioned element (like NHS.UK's
  // visually hidden text) escapes every such ancestor up to its containing
  // block, its nearest positioned ancestor: a scrolling box that is not
  // positioned does not hold it, and it widens the page.
  const root = (a) => !a || a === document.body || a === document.documentElement;
  const clippedAbove = (el) => {
    let position = getComputedStyle(el).position;
    for (let a = el.parentElement; !root(a); a = a.parentElement) {
      if (position === 'fixed') return false;
      const style = getComputedStyle(a);
      const clips = style.overflowX !== 'visible';
      if (position === 'absolute' && style.position === 'static') continue;
      if (clips) return true;
      position = style.position === 'absolute' || style.position === 'fixed' ? style.position : 'static';
    }
    return false;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden';
  };
  const causes = new Map();
  const note = (el, right, width, what) => {
    const key = `${describe(el)}|${what}`;
    const words = (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
    // For text, the longest unbroken word is what cannot wrap; for a box, its
    // first words say which it is, and a long word in it is a likely reason.
    const longest = words.split(' ').reduce((a, b) => (b.length > a.length ? b : a), '');
    const hint = longest.length > 15 ? `longest word: ${longest.slice(0, 70)}` : '';
    const text = what === 'text' && hint ? hint : `${words.slice(0, 60)}${hint ? `…; ${hint}` : ''}`;
    const absolute = getComputedStyle(el).position === 'absolute';
    const prior = causes.get(key);
    if (!prior || prior.right < right) {
      causes.set(key, { element: describe(el), what, absolute, right: Math.round(right), width: Math.round(width), text });
    }
  };
  // An element widens the page when its box reaches past the limit and no
  // ancestor clips it; it is a cause when its parent does not (or is clipped).
  const widens = (el) => {
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.right > limit + slack && visible(el) && !clippedAbove(el);
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!widens(el)) continue;
    if (root(el.parentElement) || !widens(el.parentElement)) {
      const rect = el.getBoundingClientRect();
      note(el, rect.right, rect.width, 'box');
    }
  }
  // Text that reaches past the limit while its element's box does not: a
  // word that cannot wrap.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || !visible(el) || getComputedStyle(el).overflowX !== 'visible' || clippedAbove(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rect = range.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= limit + slack) continue;
    if (el.getBoundingClientRect().right <= limit + slack) note(el, rect.right, rect.width, 'text');
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    causes: [...causes.values()].sort((a, b) => b.right - a.right).slice(0, 4),
  };
}

/** How a cause is named in reports. */
function causeKind(c) {
  if (c.what === 'text') return 'text in';
  return c.absolute ? 'absolutely positioned box (not held by a scrolling ancestor that is not positioned)' : 'box';
}

function label(page, what) {
  const url = new URL(page.url());
  return `${what} — ${url.pathname}${url.search}`;
}

// The <main> of every page the crawl has checked in this run, by digest, in
// a file so that it survives Playwright restarting its worker after a failed
// test. A page whose <main> is the same as one checked before (as another
// role, or under another sort order) is not checked again.
const CHECKED = path.join(__dirname, '..', 'test-results', 'checked-main.json');

function alreadyChecked(digest, where) {
  let seen = {};
  try {
    seen = JSON.parse(fs.readFileSync(CHECKED, 'utf8'));
  } catch {
    // first page of the run
  }
  if (seen[digest]) return seen[digest];
  seen[digest] = where;
  fs.mkdirSync(path.dirname(CHECKED), { recursive: true });
  fs.writeFileSync(CHECKED, JSON.stringify(seen));
  return null;
}

class Checks {
  /** `testInfo` (optional): where to keep a 390 px screenshot of each page that is too wide. */
  constructor(who, testInfo) {
    this.who = who;
    this.testInfo = testInfo;
    this.axe = [];
    this.width = [];
    this.status = [];
    this.pages = 0;
    this.skipped = [];
    this.visited = [];
  }

  /**
   * As check(), unless the page's <main> (without its CSRF tokens) is the
   * same as that of a page already checked in this run: then it is skipped.
   */
  async checkUnlessSeen(page, what) {
    const main = await page.evaluate(() => {
      const el = document.querySelector('main') || document.body;
      return el.outerHTML.replace(/name="_csrf" value="[^"]*"/g, '');
    });
    const digest = crypto.createHash('sha256').update(main).digest('hex');
    const before = alreadyChecked(digest, `${label(page, what)} as ${this.who}`);
    if (before) {
      this.skipped.push(`${label(page, what)} (same as ${before})`);
      this.visited.push(`${label(page, what)} (same as ${before})`);
      return;
    }
    await this.check(page, what);
  }

  /** Runs axe here and measures the page at 390 px, then puts the viewport back. */
  async check(page, what) {
    this.pages += 1;
    const where = label(page, what);
    this.visited.push(where);
    const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    for (const v of results.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      const targets = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ');
      const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : '';
      this.axe.push({ page: where, rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, detail: `${targets}${more}` });
    }
    const wide = page.viewportSize();
    await page.setViewportSize(NARROW);
    const measured = await page.evaluate(overflowCauses, NARROW.width);
    if (measured.scrollWidth > NARROW.width) {
      const finding = { page: where, scrollWidth: measured.scrollWidth, causes: measured.causes };
      if (this.testInfo) {
        finding.screenshot = this.testInfo.outputPath(`too-wide-${this.width.length + 1}.png`);
        await page.screenshot({ path: finding.screenshot, fullPage: true });
      }
      this.width.push(finding);
    }
    if (wide) await page.setViewportSize(wide);
  }

  noteStatus(where, status) {
    this.status.push({ page: where, status });
  }

  report() {
    const lines = [];
    for (const s of this.status) lines.push(`LINK ${s.page}: ${s.status}`);
    for (const a of this.axe) lines.push(`AXE ${a.rule} (${a.impact}, ${a.nodes} nodes): ${a.page}\n    ${a.help}: ${a.detail}`);
    for (const w of this.width) {
      const causes = w.causes.length
        ? w.causes.map((c) => `    ${causeKind(c)} ${c.element} reaches ${c.right} px (${c.width} px wide)${c.text ? `: "${c.text}"` : ''}`).join('\n')
        : '    (no single element found)';
      const shot = w.screenshot ? `\n    screenshot at 390 px: ${path.relative(process.cwd(), w.screenshot)}` : '';
      lines.push(`WIDTH ${w.scrollWidth} px > 390 px: ${w.page}\n${causes}${shot}`);
    }
    return lines;
  }

  /** Attaches the findings (for the summary reporter) and fails with every one of them listed. */
  async assertClean(testInfo) {
    const lines = this.report();
    await testInfo.attach('page-findings', {
      body: JSON.stringify({ who: this.who, pages: this.pages, skipped: this.skipped.length, visited: this.visited, axe: this.axe, width: this.width, status: this.status }),
      contentType: 'application/json',
    });
    expect(lines.length, `${this.who}: ${lines.length} problem(s) on ${this.pages} page states checked:\n${lines.join('\n')}\n`).toBe(0);
  }
}

// ---------------------------------------------------------------------------
// Steps

/** The UK date and time fields (YYYY-MM-DD, HH:MM) of the first whole minute at least `seconds` from now. */
function londonFieldsAtLeast(seconds) {
  const at = new Date(Math.ceil((Date.now() + seconds * 1000) / 60_000) * 60_000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return { at, date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/**
 * Clicks `button`, and if the answer is a confirmation page (an h1 matching
 * `confirmHeading`, not a refusal, with a submit button of its own in
 * <main>) confirms it, first filling any empty text box in its form (a
 * reason, say) with `reason`. Resolves once `done` is visible; a page that
 * refuses (an error summary or message) fails at once with its words.
 * Tolerates both the one-step and the two-step forms of publishing and
 * closing.
 */
async function submitConfirmingIfAsked(page, button, { done, confirmHeading, checks, what, reason = 'Confirmed in the browser test.' }) {
  const confirmation = page
    .locator('main h1')
    .filter({ hasText: confirmHeading })
    .filter({ hasNotText: /cannot|can't|not be/i });
  const refusal = page.locator('.nhsuk-error-summary, .nhsuk-error-message');
  const failIfRefused = async () => {
    if (await refusal.first().isVisible()) {
      throw new Error(`${what} was refused at ${page.url()}: ${(await page.locator('main').innerText()).slice(0, 800)}`);
    }
  };
  await button.click();
  await expect(done.or(confirmation).or(refusal).first()).toBeVisible();
  await failIfRefused();
  if (!(await done.first().isVisible()) && (await confirmation.isVisible())) {
    if (checks) await checks.check(page, `${what}: confirmation page`);
    const buttons = page.locator('main form button[type="submit"], main form input[type="submit"]');
    const preferred = buttons.filter({ hasText: /publish|confirm|yes|close|count|give notice|continue/i });
    const confirm = (await preferred.count()) > 0 ? preferred.first() : buttons.first();
    const boxes = confirm.locator('xpath=ancestor::form[1]').locator('textarea:visible, input[type="text"]:visible');
    for (let i = 0; i < (await boxes.count()); i += 1) {
      if ((await boxes.nth(i).inputValue()) === '') await boxes.nth(i).fill(reason);
    }
    await confirm.click();
    await expect(done.or(refusal).first()).toBeVisible();
    await failIfRefused();
  }
  await expect(done.first()).toBeVisible();
}

/** Opens a ballot from the organisation's list of ballots, as someone who runs it would. */
async function openBallotFromOrganisation(page, checks) {
  await page.getByRole('link', { name: 'Organisations', exact: true }).click();
  await page.getByRole('link', { name: /Demo Clinical Commissioning Group/ }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: /Demo Clinical Commissioning Group/ })).toBeVisible();
  if (checks) await checks.check(page, 'organisation page');
  await page.getByRole('main').getByRole('link', { name: 'Ballots', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Ballots/ })).toBeVisible();
  if (checks) await checks.check(page, 'ballots of the organisation');
  await page.getByRole('link', { name: BALLOT_TITLE }).click();
  await expect(page.getByRole('heading', { level: 1, name: BALLOT_TITLE })).toBeVisible();
  return Number(/\/ballots\/(\d+)$/.exec(new URL(page.url()).pathname)[1]);
}

// ---------------------------------------------------------------------------
// Mail: the server writes each message as an .eml file (no SMTP server set).

function decodeQuotedPrintable(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i += 1) {
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A message's headers (unfolded) and the decoded text of each of its parts. */
function parseEml(raw) {
  const split = (chunk) => {
    const at = chunk.search(/\r?\n\r?\n/);
    const head = at < 0 ? chunk : chunk.slice(0, at);
    const body = at < 0 ? '' : chunk.slice(at).replace(/^\r?\n\r?\n/, '');
    const headers = {};
    for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { headers, body };
  };
  const decode = ({ headers, body }) => {
    const encoding = (headers['content-transfer-encoding'] || '').toLowerCase();
    if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
    return body;
  };
  const message = split(raw);
  const parts = [];
  const walk = (entity) => {
    const boundary = /boundary="?([^";]+)"?/i.exec(entity.headers['content-type'] || '');
    if (!boundary) {
      parts.push({ type: (entity.headers['content-type'] || 'text/plain').split(';')[0].trim(), text: decode(entity) });
      return;
    }
    for (const chunk of entity.body.split(`--${boundary[1]}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      walk(split(chunk.replace(/^\r?\n/, '')));
    }
  };
  walk(message);
  return { headers: message.headers, parts };
}

/** Every message written so far to `email`. */
function mailTo(email) {
  const dir = process.env.QUORATE_BROWSER_MAIL_DIR;
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => parseEml(fs.readFileSync(path.join(dir, f), 'utf8')))
    .filter((m) => (m.headers.to || '').toLowerCase().includes(email.toLowerCase()));
}

/** The voting link in `email`'s notice of the ballot, once the mail worker has written it (or null). */
function votingLinkIn(email) {
  for (const message of mailTo(email)) {
    for (const part of message.parts.filter((p) => p.type === 'text/plain')) {
      if (!part.text.includes('gives notice of a ballot')) continue;
      const link = /(https?:\/\/[^\s"<>]+\/vote\/[A-Za-z0-9_-]+)(?![A-Za-z0-9_/-])/.exec(part.text);
      if (link) return link[1];
    }
  }
  return null;
}

/** Waits (polling the mail folder) for the notice with a voting link sent to `email`. */
async function votingLinkFor(email) {
  let link = null;
  await expect
    .poll(() => {
      link = votingLinkIn(email);
      return link;
    }, { message: `the notice with a voting link sent to ${email}`, timeout: 30_000 })
    .not.toBeNull();
  return link;
}

module.exports = {
  AXE_TAGS,
  BALLOT_TITLE,
  CONSULTATION_TITLE,
  Checks,
  NARROW,
  causeKind,
  PEOPLE,
  demo,
  logIn,
  londonFieldsAtLeast,
  mailTo,
  openBallotFromOrganisation,
  overflowCauses,
  parseEml,
  submitConfirmingIfAsked,
  votingLinkFor,
};
