// Journey 5: the LMC's observer signs in, opens the LMC dashboard and the
// ballot's checklist and evidence pack.
const { test, expect } = require('@playwright/test');
const { BALLOT_TITLE, Checks, PEOPLE, logIn } = require('../lib/helpers');

test('the LMC observer reads the dashboard and the evidence pack', async ({ page }, testInfo) => {
  const checks = new Checks('LMC observer', testInfo);
  await logIn(page, PEOPLE.observer, checks);
  await checks.check(page, 'home page');

  await page.getByRole('link', { name: 'LMC dashboard', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'LMC dashboard' })).toBeVisible();
  const row = page.getByRole('row', { name: new RegExp(BALLOT_TITLE) });
  await expect(row).toContainText('Counted');
  await checks.check(page, 'LMC dashboard');

  await row.getByRole('link', { name: BALLOT_TITLE }).click();
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(`evidence pack: ${BALLOT_TITLE}`) })).toBeVisible();
  const checklist = page.getByRole('table', { name: 'Checklist' });
  await expect(checklist).toBeVisible();
  for (const line of ['Notice period met', 'Quorum and threshold', 'Certificate signature valid', 'Audit chain intact', 'Electorate matches the register']) {
    await expect(checklist.getByRole('row', { name: new RegExp(line) }), line).toBeVisible();
  }
  await expect(checklist.getByRole('row', { name: /Certificate signature valid/ }).locator('.nhsuk-tag')).toHaveClass(/nhsuk-tag--green/);
  await expect(checklist.getByRole('row', { name: /Audit chain intact/ }).locator('.nhsuk-tag')).toHaveClass(/nhsuk-tag--green/);
  await expect(page.getByText('Certified result:')).toBeVisible();
  await checks.check(page, 'evidence pack');

  await page.getByRole('link', { name: 'The certificate' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Certificate of result: ${BALLOT_TITLE}` })).toBeVisible();
  await checks.check(page, 'certificate from the evidence pack');

  await checks.assertClean(testInfo);
});
