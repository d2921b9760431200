// Journey 7: single sign-on through a real OpenID Connect provider (the one
// tests/sso.rs uses). A member practice's staff member asks for an account
// with CIS2 and the board approves it; a practice manager links their
// NHSmail sign-in by the link emailed to their account; logging out ends
// the provider's session too.
const { test, expect } = require('@playwright/test');
const { Checks, PEOPLE, logIn, mailTo } = require('../lib/helpers');

const SSO = JSON.parse(process.env.QUORATE_BROWSER_SSO_PEOPLE || '{}');
const BASE = process.env.QUORATE_BROWSER_BASE_URL;

test('practice staff join with CIS2, link NHSmail by email, and log out of both', async ({ page, browser }, testInfo) => {
  const checks = new Checks('single sign-on', testInfo);

  // The board lets its member practices' staff ask for an account.
  await logIn(page, PEOPLE.board);
  await page.goto('/organisations/D9C/sign-in');
  await expect(page.getByRole('heading', { level: 1, name: /How staff of Demo Clinical Commissioning Group sign in/ })).toBeVisible();
  await checks.check(page, 'how staff sign in');
  await page.getByLabel('Staff of member practices can ask for an account by signing in with CIS2').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('How people sign in is saved', { exact: true })).toBeVisible();

  // Tom, whose CIS2 identity names demo practice Y99008, asks.
  const tomsBrowser = await browser.newContext({ baseURL: BASE });
  const tom = await tomsBrowser.newPage();
  await tom.goto('/login');
  await tom.getByRole('button', { name: 'Sign in with Test CIS2' }).click();
  await expect(tom.getByRole('heading', { level: 1, name: 'Your account is waiting for approval' })).toBeVisible();
  await checks.check(tom, 'waiting for approval');

  // The board decides: an error first, then approval as practice manager.
  await page.goto('/organisations/D9C/sign-in');
  await page.getByRole('link', { name: /1 request to represent a practice is waiting/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Requests to represent practices' })).toBeVisible();
  await checks.check(page, 'requests to represent practices');
  await page.getByRole('link', { name: `Decide ${SSO.cis2.name}'s request` }).click();
  await expect(page.getByRole('heading', { level: 1, name: new RegExp(`${SSO.cis2.name} asks to represent`) })).toBeVisible();
  await page.getByRole('button', { name: 'Save the decision' }).click();
  await expect(page.getByRole('alert')).toContainText('Select how the person acts for the practice');
  await checks.check(page, 'decide a request, nothing chosen');
  await page.getByLabel('Approve as practice manager').check();
  await page.getByRole('button', { name: 'Save the decision' }).click();
  await expect(page.getByText(`${SSO.cis2.name} is now a representative of the practice`)).toBeVisible();

  // Approved: Tom signs in with CIS2, then logs out of Quorate and CIS2.
  await tom.goto('/login');
  await tom.getByRole('button', { name: 'Sign in with Test CIS2' }).click();
  await expect(tom.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  await tom.getByRole('button', { name: 'Log out' }).click();
  // The provider's own page asks to confirm; then back to Quorate's log in.
  await tom.getByRole('button', { name: /sign me out/i }).click();
  await expect(tom.getByRole('heading', { level: 1, name: 'Log in to Quorate' })).toBeVisible();
  await expect(tom.getByText('You have also been signed out of Test CIS2 in this browser.')).toBeVisible();
  await tomsBrowser.close();

  // A practice manager's NHSmail address is not vouched for: linked by email.
  const managersBrowser = await browser.newContext({ baseURL: BASE });
  const manager = await managersBrowser.newPage();
  await manager.goto('/login');
  await manager.getByRole('button', { name: 'Sign in with Test NHSmail' }).click();
  await expect(manager.getByRole('heading', { level: 1, name: 'No Quorate account is linked to this sign-in' })).toBeVisible();
  await checks.check(manager, 'no account linked, with the link form');
  await manager.getByLabel('Email address of your Quorate account').fill('not an address');
  await manager.getByRole('button', { name: 'Send me a link' }).click();
  await expect(manager.getByRole('alert')).toBeVisible();
  await checks.check(manager, 'link form with an error');
  await manager.getByLabel('Email address of your Quorate account').fill(SSO.nhsmail.account);
  await manager.getByRole('button', { name: 'Send me a link' }).click();
  await expect(manager.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();
  await checks.check(manager, 'check your email');
  let link = null;
  await expect
    .poll(() => {
      for (const message of mailTo(SSO.nhsmail.account)) {
        for (const part of message.parts.filter((p) => p.type === 'text/plain')) {
          const found = /(https?:\/\/[^\s"<>]+\/login\/sso\/nhsmail\/link\/[A-Za-z0-9_-]+)/.exec(part.text);
          if (found) link = found[1];
        }
      }
      return link;
    }, { message: 'the emailed link', timeout: 30_000 })
    .not.toBeNull();
  await manager.goto(link);
  await expect(manager.getByRole('heading', { level: 1, name: 'Link your Test NHSmail sign-in' })).toBeVisible();
  await checks.check(manager, 'link your sign-in');
  await manager.getByRole('button', { name: 'Link and sign in' }).click();
  await expect(manager.getByText('Your Test NHSmail sign-in is linked to your account')).toBeVisible();
  await expect(manager.getByRole('heading', { level: 1, name: /^Welcome, / })).toBeVisible();
  await managersBrowser.close();

  await checks.assertClean(testInfo);
});
