// Journey 1: the CCG's board officer (an organisation administrator)
// consults the practices on the options, then gets the demo draft
// co-commissioning ballot ready and publishes it, giving notice.
const { test, expect } = require('@playwright/test');
const {
  BALLOT_TITLE, CONSULTATION_TITLE, Checks, PEOPLE, logIn, londonFieldsAtLeast, openBallotFromOrganisation, submitConfirmingIfAsked,
} = require('../lib/helpers');

test('the board publishes a consultation that leads to the demo ballot', async ({ page }, testInfo) => {
  const checks = new Checks('board officer consulting', testInfo);
  await logIn(page, PEOPLE.board);
  await page.getByRole('link', { name: 'Organisations', exact: true }).click();
  await page.getByRole('link', { name: /Demo Clinical Commissioning Group/ }).first().click();
  await page.getByRole('main').getByRole('link', { name: 'Consultations', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Consultations/ })).toBeVisible();
  await checks.check(page, 'consultations, none yet');
  await page.getByRole('button', { name: 'Create a consultation' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Create a consultation' })).toBeVisible();
  await checks.check(page, 'create a consultation');
  await page.getByLabel('Title', { exact: true }).fill(CONSULTATION_TITLE);
  await page.getByLabel('Summary').fill('Which level of co-commissioning should the CCG apply for? Tell us before the ballot.');
  await page.getByLabel('The paper').fill('# The proposal\n\nThe board recommends **level 2**, joint commissioning.\n\n- Level 1: greater involvement\n- Level 2: joint commissioning\n- Level 3: delegated commissioning');
  const closes = londonFieldsAtLeast(14 * 24 * 3600);
  const closing = page.getByRole('group', { name: /The consultation closes/ });
  await closing.getByLabel('Date').fill(closes.date);
  await closing.getByLabel('Time').fill(closes.time);
  await page.getByRole('button', { name: 'Create the draft' }).click();
  await expect(page.getByText('Draft consultation created', { exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: CONSULTATION_TITLE })).toBeVisible();
  await checks.check(page, 'draft consultation');

  await page.getByLabel('The ballot this consultation leads to').selectOption({ label: BALLOT_TITLE });
  await page.getByRole('button', { name: 'Link', exact: true }).click();
  await expect(page.getByText('Ballot linked', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByText('Consultation published', { exact: true })).toBeVisible();
  await checks.check(page, 'consultation published');
  await page.getByRole('link', { name: 'Timeline' }).click();
  await expect(page.getByRole('main')).toContainText(CONSULTATION_TITLE);
  await checks.check(page, 'consultation timeline');

  await checks.assertClean(testInfo);
});

test('the board publishes the demo co-commissioning ballot, opening within two minutes', async ({ page }, testInfo) => {
  const checks = new Checks('board officer publishing', testInfo);
  await logIn(page, PEOPLE.board, checks);
  await checks.check(page, 'home page');

  // The constitution asks 14 days' notice; the demo ballot is to open today.
  await page.getByRole('link', { name: 'Organisations', exact: true }).click();
  await checks.check(page, 'organisations');
  await page.getByRole('link', { name: /Demo Clinical Commissioning Group/ }).first().click();
  await page.getByRole('link', { name: 'Constitution settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Constitution settings/ })).toBeVisible();
  await checks.check(page, 'constitution settings');
  await page.getByLabel('Minimum notice before voting opens (days)').fill('0');
  await page.getByLabel('Why the settings change').fill('The general meeting agreed a same-day ballot for the demonstration.');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Constitution settings saved')).toBeVisible();
  await checks.check(page, 'constitution settings saved');

  const id = await openBallotFromOrganisation(page, checks);
  await expect(page.getByText('Draft', { exact: true })).toBeVisible();
  await checks.check(page, 'draft ballot');

  // Change the draft: plain secret (a verifiable ballot needs a trustees'
  // key ceremony on their own computers), early close allowed, voting
  // opening at the next whole minute at least 20 seconds away (the form
  // keeps minutes; publication must come before the opening).
  await page.getByRole('link', { name: 'Change the draft' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Change the draft ballot/ })).toBeVisible();
  await checks.check(page, 'change the draft');
  const opens = londonFieldsAtLeast(20);
  const closes = londonFieldsAtLeast(7 * 24 * 3600);
  const opening = page.getByRole('group', { name: 'Voting opens' });
  await opening.getByLabel('Date').fill(opens.date);
  await opening.getByLabel('Time').fill(opens.time);
  const closing = page.getByRole('group', { name: 'Voting closes' });
  await closing.getByLabel('Date').fill(closes.date);
  await closing.getByLabel('Time').fill(closes.time);
  await page.getByRole('group', { name: 'Secrecy' }).getByLabel(/^Plain secret/).check();
  await page.getByLabel('The returning officer may close voting early').check();
  await page.getByRole('button', { name: 'Save the draft' }).click();
  await expect(page.getByText('Draft saved')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: BALLOT_TITLE })).toBeVisible();
  expect(Date.now(), 'the draft was saved before its opening time').toBeLessThan(opens.at.getTime());

  // Publish; if asked "Are you sure…", confirm.
  await submitConfirmingIfAsked(page, page.getByRole('button', { name: /^Publish/ }), {
    done: page.getByText('Ballot published', { exact: true }),
    confirmHeading: /publish|are you sure|confirm/i,
    checks,
    what: 'publish',
  });
  expect(new URL(page.url()).pathname).toBe(`/ballots/${id}`);
  await expect(page.getByText(/electorate of 8 practices/)).toBeVisible();
  await expect(page.locator('main strong.nhsuk-tag').first()).toHaveText(/Notice given|Open for voting/);
  await checks.check(page, 'ballot just published');

  await checks.assertClean(testInfo);
});
