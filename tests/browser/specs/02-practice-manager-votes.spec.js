// Journey 2: a practice manager (their practice's nominated voting
// representative) signs in and votes from their home page: choose, check,
// cast, receipt.
const { test, expect } = require('@playwright/test');
const { BALLOT_TITLE, Checks, PEOPLE, logIn } = require('../lib/helpers');

test('a practice manager votes from their home page and gets a receipt', async ({ page }, testInfo) => {
  const checks = new Checks('practice manager (Y99001) voting', testInfo);
  await logIn(page, PEOPLE.manager('Y99001'), checks);
  const practice = page.getByRole('region', { name: /Demo Riverside Surgery \(Y99001\)/ });
  await expect(practice.getByRole('link', { name: BALLOT_TITLE })).toBeVisible();

  // Voting opens at the published minute: until then the home page lists the
  // ballot without a Vote button. Reload until the scheduler has opened it.
  const vote = practice.getByRole('button', { name: /^Vote\b/ });
  await expect(async () => {
    await page.reload();
    await expect(vote).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 150_000, intervals: [1_000, 2_000, 3_000] });
  await checks.check(page, 'home page, ballot open');

  await vote.click();
  await expect(page.getByRole('heading', { level: 1, name: /Which level of primary care co-commissioning/ })).toBeVisible();
  await expect(page.getByText(/You are voting for Demo Riverside Surgery/)).toBeVisible();
  await checks.check(page, 'voting page');

  // No choice: the form again, with the error.
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('.nhsuk-error-message').first()).toBeVisible();
  await checks.check(page, 'voting page, no choice made');

  await page.getByLabel('Level 2 — joint commissioning').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Check your vote/ })).toBeVisible();
  await expect(page.getByRole('main').getByText('Level 2 — joint commissioning')).toBeVisible();
  await checks.check(page, 'check your vote');

  await page.getByRole('button', { name: 'Cast the vote' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Vote recorded' })).toBeVisible();
  await expect(page.locator('.quorate-receipt')).toHaveText(/\S{4}/);
  await checks.check(page, 'vote recorded, receipt');

  // Home now says the practice has voted.
  await page.getByRole('link', { name: 'Home', exact: true }).click();
  await expect(practice.getByText('Voted', { exact: true })).toBeVisible();
  await expect(practice.getByRole('button', { name: /^Vote\b/ })).toHaveCount(0);
  await checks.check(page, 'home page, voted');

  await checks.assertClean(testInfo);
});
