// The crawl: as each role, every page reachable by same-site links from the
// home page (after the journeys, so the demo ballot is published, voted,
// counted and certified), each checked with axe (serious and critical
// violations of WCAG 2.0/2.1 A and AA and 2.2 AA) and for its width at
// 390 px. Every offending page is listed at the end of each role's test.
const { test, expect } = require('@playwright/test');
const { Checks, PEOPLE, logIn, votingLinkFor } = require('../lib/helpers');
const { crawl, crawlLinkVoter } = require('../lib/crawl');

const ROLES = [
  { who: 'anonymous visitor', email: null },
  { who: 'system administrator', email: PEOPLE.systemAdmin },
  { who: 'board officer (organisation administrator)', email: PEOPLE.board },
  { who: 'returning officer', email: PEOPLE.returningOfficer },
  { who: 'committee member', email: PEOPLE.committee },
  { who: 'LMC observer', email: PEOPLE.observer },
  { who: 'practice manager (Y99001)', email: PEOPLE.manager('Y99001') },
];

for (const { who, email } of ROLES) {
  test(`crawl as ${who}`, async ({ page }, testInfo) => {
    const checks = new Checks(`crawl as ${who}`, testInfo);
    if (email) await logIn(page, email);
    const visited = await crawl(page, '/', checks, { loginIsProblem: !!email });
    testInfo.annotations.push({ type: 'pages', description: `${visited.length} pages: ${visited.join(' ')}` });
    expect(visited.length).toBeGreaterThan(email ? 3 : 1);
    await checks.assertClean(testInfo);
  });
}

test('crawl as a link voter (Y99002), from the voting link after the count', async ({ page }, testInfo) => {
  const checks = new Checks('crawl as a link voter (Y99002) after the count', testInfo);
  const visited = await crawlLinkVoter(page, await votingLinkFor(PEOPLE.manager('Y99002')), checks);
  testInfo.annotations.push({ type: 'pages', description: `${visited.length} pages: ${visited.join(' ')}` });
  await checks.assertClean(testInfo);
});
