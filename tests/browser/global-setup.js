// Starts one Quorate server for the whole run, as tests/schemathesis/run.sh
// does: a fresh temporary folder, an SQLite database in it, `quorate demo`
// (whose printed accounts and shared password are parsed), then `quorate
// serve` on a free loopback port, ready when /healthz answers. What the tests
// need is handed to them through environment variables (QUORATE_BROWSER_*).
// The returned function stops the server; tests/browser/run.sh also kills it
// by the process id written to QUORATE_BROWSER_PIDFILE if the run is cut short.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `quorate demo` prints "Demo accounts, all with the password P:" and one "  email  (role)" a line. */
function parseDemo(output) {
  const password = /all with the password (\S+?):?\s*$/m.exec(output);
  if (!password) throw new Error(`quorate demo printed no password:\n${output}`);
  const accounts = [...output.matchAll(/^\s+(\S+@\S+)\s+\((.+)\)\s*$/gm)].map((m) => ({ email: m[1], role: m[2] }));
  if (accounts.length === 0) throw new Error(`quorate demo printed no accounts:\n${output}`);
  return { password: password[1], accounts };
}

async function waitForHealth(base, server, log, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`quorate serve exited with ${server.exitCode}; its log:\n${fs.readFileSync(log, 'utf8')}`);
    }
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`quorate serve did not answer ${base}/healthz within ${timeoutMs} ms; its log:\n${fs.readFileSync(log, 'utf8')}`);
}

const OIDC_DIR = path.join(__dirname, '..', 'oidc');
const OIDC_FIXTURES = path.join(__dirname, '..', 'fixtures', 'oidc');

/**
 * The OpenID Connect provider tests/sso.rs uses (panva's oidc-provider on
 * loopback), with a CIS2-like client whose people name a demo practice, and
 * a plain one that vouches for no address. Resolves to its issuer and process.
 */
async function startProvider(base) {
  if (!fs.existsSync(path.join(OIDC_DIR, 'node_modules', 'oidc-provider'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: OIDC_DIR, stdio: 'inherit' });
  }
  const jwk = JSON.parse(fs.readFileSync(path.join(OIDC_FIXTURES, 'rp-test-key.jwk.json'), 'utf8'));
  const client = (id, extra) => ({
    client_id: id,
    redirect_uris: [`${base}/login/sso/${id}/callback`],
    post_logout_redirect_uris: [`${base}/login`],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    ...extra,
  });
  const settings = {
    clients: [
      client('cis2', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: { keys: [jwk] } }),
      client('nhsmail', { client_secret: SSO_SECRET, token_endpoint_auth_method: 'client_secret_basic' }),
    ],
    accounts: {
      [SSO_PEOPLE.cis2.subject]: {
        email: SSO_PEOPLE.cis2.email, email_verified: true, name: SSO_PEOPLE.cis2.name, acr: 'AAL3_ANY',
        nhsid_user_orgs: [{ org_code: SSO_PEOPLE.cis2.practice, org_name: 'DEMO PRACTICE' }],
      },
      [SSO_PEOPLE.nhsmail.subject]: { email: SSO_PEOPLE.nhsmail.email, email_verified: false, name: 'Demo Manager' },
    },
    defaultAccountFor: { cis2: SSO_PEOPLE.cis2.subject, nhsmail: SSO_PEOPLE.nhsmail.subject },
  };
  const child = spawn('node', [path.join(OIDC_DIR, 'provider.mjs'), JSON.stringify(settings)], { cwd: OIDC_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  const issuer = await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const ready = /READY (\S+)/.exec(seen);
      if (ready) resolve(ready[1]);
    });
    child.on('exit', (code) => reject(new Error(`the OpenID Connect provider exited with ${code}: ${seen}`)));
  });
  return { issuer, child };
}

const SSO_SECRET = 'a-client-secret-of-at-least-32-characters';
/** Who signs in at the provider: a CIS2 person at demo practice Y99008, and an NHSmail person who is the manager of Y99007. */
const SSO_PEOPLE = {
  cis2: { subject: 'tom', email: 'tom.okafor@demo.quorate.invalid', name: 'Tom Okafor', practice: 'Y99008' },
  nhsmail: { subject: 'manager7', email: 'm.seven@nhs.example', account: 'manager.y99007@demo.quorate.invalid' },
};

/** Quorate's settings file: the two providers. */
function ssoSettings(dir, issuer) {
  const secret = path.join(dir, 'client-secret');
  fs.writeFileSync(secret, `${SSO_SECRET}\n`);
  const file = path.join(dir, 'quorate.toml');
  fs.writeFileSync(file, [
    '[[sso]]', 'id = "cis2"', 'label = "Test CIS2"', 'preset = "cis2"', `issuer = "${issuer}"`, 'client_id = "cis2"',
    `private_key_file = "${path.join(OIDC_FIXTURES, 'rp-test-key.pem')}"`, 'private_key_id = "quorate-test"',
    'acr_values = ["AAL3_ANY"]', 'provision_practice_staff = true', 'counts_as_second_factor = true', '',
    '[[sso]]', 'id = "nhsmail"', 'label = "Test NHSmail"', `issuer = "${issuer}"`, 'client_id = "nhsmail"',
    `client_secret_file = "${secret}"`, '',
  ].join('\n'));
  return file;
}

module.exports = async function globalSetup() {
  const binary = process.env.QUORATE_BROWSER_BINARY;
  if (!binary || !fs.existsSync(binary)) {
    throw new Error(`Set QUORATE_BROWSER_BINARY to the quorate binary (got "${binary || ''}"); run tests/browser/run.sh QUORATE_BINARY`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorate-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const mailDir = path.join(dir, 'mail');
  const env = {
    ...process.env,
    QUORATE_DATABASE_URL: `sqlite://${dir}/q.db`,
    QUORATE_DATA_DIR: path.join(dir, 'data'),
    QUORATE_BIND: `127.0.0.1:${port}`,
    QUORATE_BASE_URL: base,
    // No SMTP server: every message is written as an .eml file here.
    QUORATE_MAIL_DIR: mailDir,
    QUORATE_MAIL_POLL_MS: '200',
    // The scheduler opens the ballot at its time; look often so nobody waits.
    QUORATE_SCHEDULER_INTERVAL_MS: '500',
    QUORATE_LOG: 'warn',
  };
  fs.mkdirSync(env.QUORATE_DATA_DIR, { recursive: true });
  const provider = await startProvider(base);
  const config = ssoSettings(dir, provider.issuer);
  const demo = parseDemo(execFileSync(binary, ['--config', config, 'demo'], { env, encoding: 'utf8', timeout: 60_000 }));

  const log = path.join(dir, 'server.log');
  const out = fs.openSync(log, 'a');
  const server = spawn(binary, ['--config', config, 'serve'], { env, stdio: ['ignore', out, out] });
  if (process.env.QUORATE_BROWSER_PIDFILE) fs.writeFileSync(process.env.QUORATE_BROWSER_PIDFILE, `${server.pid}\n`);
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
    if (provider.child.exitCode === null) provider.child.kill('SIGTERM');
  };
  process.on('exit', stop);
  await waitForHealth(base, server, log, 30_000);

  process.env.QUORATE_BROWSER_BASE_URL = base;
  process.env.QUORATE_BROWSER_MAIL_DIR = mailDir;
  process.env.QUORATE_BROWSER_SERVER_LOG = log;
  process.env.QUORATE_BROWSER_DEMO = JSON.stringify(demo);
  process.env.QUORATE_BROWSER_SSO_PEOPLE = JSON.stringify(SSO_PEOPLE);
  // Each staff account's authenticator key and recovery codes, once set up
  // at its first sign-in (see logIn in lib/helpers.js).
  process.env.QUORATE_BROWSER_TWO_FACTOR = path.join(dir, 'two-factor.json');
  console.log(`Quorate is serving ${base} from ${dir} (log: ${log}); ${demo.accounts.length} demo accounts.`);

  return async () => {
    stop();
    await new Promise((resolve) => {
      if (server.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        server.kill('SIGKILL');
        resolve();
      }, 5_000);
      server.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // The server's log is kept beside the screenshots of failures.
    const results = path.join(__dirname, 'test-results');
    fs.mkdirSync(results, { recursive: true });
    fs.copyFileSync(log, path.join(results, 'server.log'));
    if (process.env.QUORATE_BROWSER_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  };
};
