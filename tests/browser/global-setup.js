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
  const demo = parseDemo(execFileSync(binary, ['demo'], { env, encoding: 'utf8', timeout: 60_000 }));

  const log = path.join(dir, 'server.log');
  const out = fs.openSync(log, 'a');
  const server = spawn(binary, ['serve'], { env, stdio: ['ignore', out, out] });
  if (process.env.QUORATE_BROWSER_PIDFILE) fs.writeFileSync(process.env.QUORATE_BROWSER_PIDFILE, `${server.pid}\n`);
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('exit', stop);
  await waitForHealth(base, server, log, 30_000);

  process.env.QUORATE_BROWSER_BASE_URL = base;
  process.env.QUORATE_BROWSER_MAIL_DIR = mailDir;
  process.env.QUORATE_BROWSER_SERVER_LOG = log;
  process.env.QUORATE_BROWSER_DEMO = JSON.stringify(demo);
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
