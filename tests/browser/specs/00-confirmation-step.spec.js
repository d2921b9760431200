// The step that publishes (or closes) a ballot must work whether the
// server acts at once or first asks "Are you sure…", and must fail at once,
// with the page's words, when the server refuses. Checked here on pages
// answered by page.route (no request reaches any server), so the journeys
// keep working when publication gains its confirmation page.
const { test, expect } = require('@playwright/test');
const { submitConfirmingIfAsked } = require('../lib/helpers');

const ORIGIN = 'http://127.0.0.1:9'; // never contacted: page.route answers every request

const html = (main) => `<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>${main}</main></body></html>`;
const BALLOT = html(`<h1>Demo ballot</h1><form method="post" action="/publish"><button type="submit">Publish and give notice</button></form>`);
const CONFIRM = html(`<h1><span>Demo ballot</span>Publish "Demo ballot"?</h1>
  <p>Are you sure? 8 practices will be told. Without a nominated representative: none.</p>
  <form method="post" action="/publish/confirm"><button type="submit">Yes, publish and give notice</button></form>
  <p><a href="/ballot">Cancel</a></p>`);
const CLOSE_CONFIRM = html(`<h1><span>Demo ballot</span>Close voting early and count</h1>
  <form method="post" action="/publish/confirm"><label for="reason">Why does voting close early?</label>
  <textarea id="reason" name="reason"></textarea><button type="submit">Close voting and count</button></form>`);
const PUBLISHED = html(`<div role="alert"><p>Ballot published</p></div><h1>Demo ballot</h1>`);
const REFUSED = html(`<div class="nhsuk-error-summary"><h2>There is a problem</h2><p>Voting must open after the ballot is published</p></div>
  <h1>The ballot cannot be published yet</h1>`);

async function serve(page, answerToPublish) {
  await page.route(`${ORIGIN}/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    const page200 = (body) => route.fulfill({ status: 200, contentType: 'text/html', body });
    if (pathname === '/ballot') return page200(BALLOT);
    if (pathname === '/published') return page200(PUBLISHED);
    if (pathname === '/publish/confirm') {
      // A confirmation that asks for a reason refuses an empty one.
      const body = route.request().postData() || '';
      if (body.startsWith('reason=') && body === 'reason=') return route.fulfill({ status: 422, contentType: 'text/html', body: REFUSED });
      return route.fulfill({ status: 303, headers: { location: `${ORIGIN}/published` } });
    }
    if (pathname === '/publish') return answerToPublish(route);
    return route.fulfill({ status: 404, body: 'not here' });
  });
  await page.goto(`${ORIGIN}/ballot`);
}

async function publish(page, confirmHeading = /publish|are you sure|confirm/i) {
  await submitConfirmingIfAsked(page, page.getByRole('button', { name: /^Publish/ }), {
    done: page.getByText('Ballot published', { exact: true }),
    confirmHeading,
    what: 'publish',
  });
}

test('publishing in one step', async ({ page }) => {
  await serve(page, (route) => route.fulfill({ status: 303, headers: { location: `${ORIGIN}/published` } }));
  await publish(page);
  expect(new URL(page.url()).pathname).toBe('/published');
});

test('publishing confirmed on an "Are you sure" page', async ({ page }) => {
  await serve(page, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: CONFIRM }));
  await publish(page);
  expect(new URL(page.url()).pathname).toBe('/published');
});

test('a confirmation that asks for a reason gets one', async ({ page }) => {
  await serve(page, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: CLOSE_CONFIRM }));
  await publish(page, /close|are you sure|confirm/i);
  expect(new URL(page.url()).pathname).toBe('/published');
});

test('a refusal fails at once with its words', async ({ page }) => {
  await serve(page, (route) => route.fulfill({ status: 422, contentType: 'text/html', body: REFUSED }));
  await expect(publish(page)).rejects.toThrow(/Voting must open after the ballot is published/);
});
