// Journey 3: a voter with only the link from the notice email (no account,
// no cookie) reads the ballot and its papers through the link — never sent
// to the login page — and votes. Then two more practices vote by link, so
// that the count in journey 4 meets the quorum (half of the 8 practices).
const { test, expect } = require('@playwright/test');
const { BALLOT_TITLE, CONSULTATION_TITLE, Checks, PEOPLE, votingLinkFor } = require('../lib/helpers');
const { crawlLinkVoter } = require('../lib/crawl');

const QUESTION = /Which level of primary care co-commissioning/;

/** Opens the voting link; until voting opens, reloads (the scheduler opens it at the published minute). */
async function openVotingForm(page, link) {
  await page.goto(link);
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('group', { name: QUESTION })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 150_000, intervals: [1_000, 2_000, 3_000] });
}

async function voteAndSeeReceipt(page, option, checks) {
  await page.getByLabel(option).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Check your vote/ })).toBeVisible();
  if (checks) await checks.check(page, 'link: check your vote');
  await page.getByRole('button', { name: 'Cast the vote' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Vote recorded' })).toBeVisible();
  await expect(page.locator('.quorate-receipt')).toHaveText(/\S{4}/);
  if (checks) await checks.check(page, 'link: vote recorded, receipt');
}

function expectInsideTheLink(page, link) {
  const url = new URL(page.url());
  expect(url.pathname, 'the link voter stays inside their link').toMatch(new RegExp(`^${new URL(link).pathname}(/|$)`));
}

test('a link voter reads the papers through the emailed link and votes', async ({ page }, testInfo) => {
  const checks = new Checks('link voter (Y99002)', testInfo);
  const link = await votingLinkFor(PEOPLE.manager('Y99002'));
  expect(new URL(link).origin, 'the link points at this server').toBe(process.env.QUORATE_BROWSER_BASE_URL);

  await openVotingForm(page, link);
  expectInsideTheLink(page, link);
  await expect(page.getByRole('heading', { name: 'Log in to Quorate' })).toHaveCount(0);
  await expect(page.getByText(/You are voting for Demo Market Street Medical Centre/)).toBeVisible();
  await checks.check(page, 'link: voting page');

  // The ballot and its papers, through the link.
  await page.getByRole('link', { name: 'Read the ballot and its papers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: BALLOT_TITLE })).toBeVisible();
  expectInsideTheLink(page, link);
  await expect(page.getByText(QUESTION)).toBeVisible();
  await expect(page.getByText('Level 3 — delegated commissioning')).toBeVisible();
  await expect(page.getByText(/This is a demonstration ballot/)).toBeVisible();
  await expect(page.locator('a[href^="/login"]'), 'nothing on the papers needs an account').toHaveCount(0);
  await checks.check(page, 'link: the ballot and its papers');

  // The consultation the ballot follows, read-only, through the link.
  await page.getByRole('link', { name: new RegExp(CONSULTATION_TITLE) }).click();
  await expect(page.getByRole('heading', { level: 1, name: CONSULTATION_TITLE })).toBeVisible();
  expectInsideTheLink(page, link);
  await expect(page.getByRole('heading', { name: 'The proposal' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send the question' })).toHaveCount(0);
  await checks.check(page, 'link: the consultation before the ballot');
  await page.goBack();

  // From the papers to the vote, still inside the link.
  await page.getByRole('button', { name: 'Vote' }).click();
  await expect(page.getByRole('group', { name: QUESTION })).toBeVisible();
  expectInsideTheLink(page, link);
  await voteAndSeeReceipt(page, 'Level 2 — joint commissioning', checks);

  // The link is used up, and says so; the papers stay readable.
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: /already voted/ })).toBeVisible();
  await checks.check(page, 'link: opened again after voting');
  await page.goto(`${link}/papers`);
  await expect(page.getByRole('heading', { level: 1, name: BALLOT_TITLE })).toBeVisible();
  await expect(page.getByText('Your practice has voted.')).toBeVisible();
  await checks.check(page, 'link: papers after voting');

  await checks.assertClean(testInfo);
});

test('two more practices vote with their links', async ({ browser }) => {
  for (const [ods, option] of [['Y99003', 'Level 2 — joint commissioning'], ['Y99004', 'Level 3 — delegated commissioning']]) {
    const link = await votingLinkFor(PEOPLE.manager(ods));
    const context = await browser.newContext();
    const page = await context.newPage();
    await openVotingForm(page, link);
    await voteAndSeeReceipt(page, option, null);
    await context.close();
  }
});

test('crawl as the link voter while voting is open', async ({ page }, testInfo) => {
  const checks = new Checks('crawl as a link voter (Y99002) while open', testInfo);
  const visited = await crawlLinkVoter(page, await votingLinkFor(PEOPLE.manager('Y99002')), checks);
  testInfo.annotations.push({ type: 'pages', description: `${visited.length} pages: ${visited.join(' ')}` });
  expect(visited.length).toBeGreaterThan(1);
  await checks.assertClean(testInfo);
});
