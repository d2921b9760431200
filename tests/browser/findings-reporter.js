// Gathers the page findings every test attaches (see Checks in
// lib/helpers.js) into one summary at the end of the run: printed, and
// written to test-results/findings.md.
const fs = require('node:fs');
const path = require('node:path');
const { causeKind } = require('./lib/helpers');

class FindingsReporter {
  constructor() {
    this.entries = [];
  }

  onTestEnd(test, result) {
    for (const attachment of result.attachments.filter((a) => a.name === 'page-findings' && a.body)) {
      this.entries.push(JSON.parse(attachment.body.toString('utf8')));
    }
  }

  onEnd() {
    const out = path.join(__dirname, 'test-results');
    const lines = ['# Page findings', ''];
    let pages = 0;
    let skipped = 0;
    const byPage = new Map();
    for (const e of this.entries) {
      pages += e.pages;
      skipped += e.skipped || 0;
      for (const a of e.axe) add(byPage, a.page, `axe ${a.rule} (${a.impact}, ${a.nodes} nodes) — ${a.help}: ${a.detail}`, e.who);
      for (const w of e.width) {
        const causes = w.causes.map((c) => `${causeKind(c)} \`${c.element}\` to ${c.right} px${c.text ? ` ("${c.text}")` : ''}`).join('; ');
        const shot = w.screenshot ? ` [screenshot](${path.relative(out, w.screenshot)})` : '';
        add(byPage, w.page, `${w.scrollWidth} px wide at 390 px — ${causes || 'no single element found'}${shot}`, e.who);
      }
      for (const s of e.status) add(byPage, s.page, s.status, e.who);
    }
    lines.push(`${pages} page states checked by ${this.entries.length} tests (and ${skipped} crawled pages skipped, their <main> the same as one checked); ${byPage.size} with problems.`, '');
    for (const [page, problems] of [...byPage.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`- ${page}`);
      for (const [problem, who] of problems) lines.push(`  - ${problem} (as ${[...who].join(', ')})`);
    }
    const coverage = ['', '## Page states checked, by test', ''];
    for (const e of this.entries) {
      coverage.push(`### ${e.who}`, '');
      for (const v of e.visited || []) coverage.push(`- ${v}`);
      coverage.push('');
    }
    const text = `${lines.join('\n')}\n`;
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'findings.md'), `${text}${coverage.join('\n')}`);
    if (this.entries.length > 0) console.log(`\n${text}`);
  }

  printsToStdio() {
    return false;
  }
}

function add(byPage, page, problem, who) {
  if (!byPage.has(page)) byPage.set(page, new Map());
  const problems = byPage.get(page);
  if (!problems.has(problem)) problems.set(problem, new Set());
  problems.get(problem).add(who);
}

module.exports = FindingsReporter;
