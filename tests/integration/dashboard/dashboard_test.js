#!/usr/bin/env node
// causeway's status page (proxy/status/dashboard.html, served at GET / of the status
// port) in headless Chromium, against the running integration sandbox:
//   1. the page loads with no request leaving the status port (works offline), shows the
//      primary and both replicas with their roles, the replication links and live data;
//   2. replica1's SQL thread is stopped on the server itself and rows are written through
//      causeway: the page must show replica1 broken, its SQL thread stopped and lag in
//      transactions > 0 (on its card and in the lag chart); a screenshot is saved;
//   3. the SQL thread is started again and the page must show replica1 healthy and level.
// Every wait is for a DOM condition with a deadline, never a fixed sleep.
//
// Environment (tests/integration/run.sh exports it): CW_STATUS_PORT, CW_HOST, CW_PORT,
// CW_USER, CW_PASSWORD, CW_DB (causeway), CW_REPLICA_PORTS, CW_PRIMARY_PORT,
// CW_ROOT_USER, CW_ROOT_PASSWORD (the sandbox servers), CW_DIRECT; CW_ARTIFACT_DIR (where
// screenshots go, default: the system temp dir); CW_CHROMIUM (default /usr/bin/chromium).
// CW_DASHBOARD_MOCK=1: against tests/integration/dashboard/mock_status_server.py, whose
// replica threads are switched by HTTP instead of SQL (page development only).
// Ends with `dashboard: N passed, N failed`; exit status 1 on any failure.
'use strict';

const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const env = process.env;
const STATUS_PORT = env.CW_STATUS_PORT;
const BASE = `http://127.0.0.1:${STATUS_PORT}`;
const MOCK = env.CW_DASHBOARD_MOCK === '1';
const CHROMIUM = env.CW_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = env.CW_ARTIFACT_DIR || os.tmpdir();
const HOST = env.CW_HOST || '127.0.0.1';
const ROOT_USER = env.CW_ROOT_USER || 'root';
const ROOT_PASSWORD = env.CW_ROOT_PASSWORD || 'root';
const REPLICA1_PORT = (env.CW_REPLICA_PORTS || '').split(/\s+/).filter(Boolean)[0];
const WHOLE_TEST_MS = 150000; // run.sh's timeout is the outer bound; this one reports
const SERVERS = { primary: 'primary', replica1: 'replica', replica2: 'replica' };

let passed = 0;
let failed = 0;

function pass(name) {
  passed++;
  console.log(`PASS ${name}`);
}
function fail(name, why) {
  failed++;
  console.log(`FAIL ${name}`);
  for (const line of String(why).split('\n')) console.log(`    ${line}`);
}

// ------------------------------------------------------------------ the sandbox side

function run(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.filter((a) => !a.startsWith('--password')).join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

// SQL on one server: the mariadb client, no option files, over TCP, bounded in time.
function sql(port, user, password, statements, db) {
  const args = ['--no-defaults', '--protocol=tcp', '-h', HOST, '-P', String(port), '-u', user,
    `--password=${password}`, '--connect-timeout=10', '-N', '-B', '-e', statements];
  if (db) args.push(db);
  return run('mariadb', args, 20000);
}

async function mockControl(server, action) {
  const r = await fetch(`${BASE}/mock/${server}/${action}`, { method: 'POST' });
  if (!r.ok) throw new Error(`mock ${server}/${action}: HTTP ${r.status}`);
}

async function setReplica1Sql(running) {
  if (MOCK) return mockControl('replica1', running ? 'start_sql' : 'stop_sql');
  return sql(REPLICA1_PORT, ROOT_USER, ROOT_PASSWORD, running ? 'START SLAVE SQL_THREAD' : 'STOP SLAVE SQL_THREAD');
}

// A few single-row transactions that replica1, its SQL thread stopped, cannot apply.
// Through causeway (the writes go to the primary), or to the primary with --direct.
async function writeRows(n) {
  if (MOCK) return; // the mock's primary commits on its own
  const direct = env.CW_DIRECT === '1';
  const port = direct ? env.CW_PRIMARY_PORT : env.CW_PORT;
  const user = direct ? ROOT_USER : env.CW_USER || 'app';
  const password = direct ? ROOT_PASSWORD : env.CW_PASSWORD || 'app';
  const inserts = Array.from({ length: n }, (_, i) => `INSERT INTO dashboard_probe (note) VALUES ('row ${i + 1}');`).join(' ');
  await sql(port, user, password,
    `CREATE TABLE IF NOT EXISTS dashboard_probe (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40),
       at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)); ${inserts}`, env.CW_DB || 'demo');
}

// ------------------------------------------------------------------ the page side

// What the page shows about each server, read from its data-* hooks.
function pageState() {
  const out = {};
  for (const card of document.querySelectorAll('#servers > [data-server]')) {
    const field = (f) => {
      const e = card.querySelector(`[data-field="${f}"]`);
      return e ? { text: e.textContent, value: e.getAttribute('data-value') } : null;
    };
    out[card.getAttribute('data-server')] = {
      role: card.getAttribute('data-role'), health: card.getAttribute('data-health'),
      roleText: field('role').text, sql: field('sql_running'), io: field('io_running'),
      lagTx: field('lag_transactions'), lagMs: field('lag_ms'), stream: field('stream'),
      semiSync: field('semi_sync'),
    };
  }
  return {
    servers: out,
    updated: document.getElementById('updated').getAttribute('data-state'),
    writer: document.getElementById('writer').getAttribute('data-value'),
    nodes: [...document.querySelectorAll('#topology [data-node]')].map((n) => n.getAttribute('data-node')),
    links: [...document.querySelectorAll('#topology [data-link]')].map((n) => n.getAttribute('data-link')),
    lagSeries: [...document.querySelectorAll('#chart-lag-tx [data-series]')].map((n) => n.getAttribute('data-series')),
    banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
  };
}

// Waits until `predicate(state)` (run in Node on what pageState() read) holds; polls the
// DOM every 200 ms until the deadline. Returns the last state either way.
async function waitForPage(page, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let state = null;
  for (;;) {
    state = await page.evaluate(pageState);
    if (predicate(state)) return { ok: true, state };
    if (Date.now() >= deadline) return { ok: false, state };
    await new Promise((r) => setTimeout(r, 200));
  }
}

function describe(state) {
  return JSON.stringify(state, null, 1).replace(/\n\s*/g, ' ');
}

const allShown = (s) => Object.entries(SERVERS).every(([n, role]) => s.servers[n] && s.servers[n].role === role &&
  s.servers[n].roleText.startsWith(role));
const replica1Broken = (s) => {
  const r = s.servers.replica1;
  return r && r.health === 'broken' && r.sql.value === 'false' && Number(r.lagTx.value) > 0 &&
    s.lagSeries.includes('replica1');
};
const replica1Healthy = (s) => {
  const r = s.servers.replica1;
  return r && r.health === 'up' && r.sql.value === 'true' && r.lagTx.value === '0';
};

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

// ------------------------------------------------------------------ the test

async function main() {
  if (!STATUS_PORT) {
    console.log('FAIL setup\n    CW_STATUS_PORT is not set (the status port is off in --direct mode)');
    return 1;
  }
  if (!MOCK && !REPLICA1_PORT) {
    console.log('FAIL setup\n    CW_REPLICA_PORTS is not set');
    return 1;
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`FAIL setup\n    ${CHROMIUM} is missing: deploy/install-deps.sh installs Debian's chromium`);
    return 1;
  }

  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true, // puppeteer passes --headless=new
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--window-size=1400,1000'],
    defaultViewport: { width: 1400, height: 1000 },
    timeout: 30000,
    protocolTimeout: 30000,
  });
  let sqlStopped = false;
  try {
    console.log(`browser: ${await browser.version()} (${CHROMIUM}); page ${BASE}/`);
    const page = await browser.newPage();
    const foreign = [];
    const pageErrors = [];
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(`${BASE}/`) && !url.startsWith('data:')) foreign.push(url);
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });

    const resp = await page.goto(`${BASE}/`, { waitUntil: 'domcontentloaded', timeout: 15000 });
    const type = resp ? resp.headers()['content-type'] || '' : '';
    if (resp && resp.status() === 200 && type.startsWith('text/html')) pass('GET / serves the dashboard as HTML');
    else fail('GET / serves the dashboard as HTML', `status ${resp && resp.status()}, content-type "${type}"`);

    // 1. The healthy topology.
    let w = await waitForPage(page, (s) => allShown(s) && s.updated === 'live' && replica1Healthy(s), 30000);
    if (w.ok) pass('the page shows primary, replica1 and replica2 with their roles, live');
    else fail('the page shows primary, replica1 and replica2 with their roles, live', describe(w.state));
    if (w.state.writer === 'primary') pass('the writer is the primary');
    else fail('the writer is the primary', `writer "${w.state.writer}"`);
    const wanted = ['primary->replica1', 'replica1->replica2', 'primary->replica2'];
    const nodesOk = Object.keys(SERVERS).every((n) => w.state.nodes.includes(n));
    const linksOk = w.state.links.includes('primary->replica1') && w.state.links.some((l) => wanted.includes(l) && l.endsWith('replica2'));
    if (nodesOk && linksOk) pass('the topology drawing has the three servers and their replication links');
    else fail('the topology drawing has the three servers and their replication links', `nodes ${w.state.nodes}, links ${w.state.links}`);
    const semi = w.state.servers.replica1 && w.state.servers.replica1.semiSync;
    if (semi && semi.text) pass(`semi-sync is shown ("${semi.text}")`);
    else fail('semi-sync is shown', describe(w.state.servers.replica1 || {}));
    await screenshot(page, 'dashboard-healthy.png');

    // 2. replica1's SQL thread stops; the primary gets writes replica1 cannot apply.
    await setReplica1Sql(false);
    sqlStopped = true;
    await writeRows(5);
    w = await waitForPage(page, replica1Broken, 30000);
    if (w.ok) {
      const r = w.state.servers.replica1;
      pass(`replica1 shows broken, SQL thread stopped, lag ${r.lagTx.value} transactions / ${r.lagMs.text}, in the lag chart`);
    } else {
      fail('replica1 shows broken, SQL thread stopped and lag in transactions > 0', describe(w.state));
    }
    const r2 = w.state.servers.replica2;
    if (r2 && r2.health === 'up') pass('replica2 stays up meanwhile');
    else fail('replica2 stays up meanwhile', describe(r2 || {}));
    await screenshot(page, 'dashboard-replica1-sql-stopped.png');

    // 3. Back to healthy (this also leaves the sandbox as the next suites expect it).
    await setReplica1Sql(true);
    sqlStopped = false;
    w = await waitForPage(page, replica1Healthy, 60000);
    if (w.ok) pass('replica1 shows healthy and level again after START SLAVE SQL_THREAD');
    else fail('replica1 shows healthy and level again after START SLAVE SQL_THREAD', describe(w.state));

    if (foreign.length === 0) pass('no request left the status port (no external scripts, fonts or CDNs)');
    else fail('no request left the status port', foreign.join('\n'));
    if (pageErrors.length === 0) pass('no JavaScript errors on the page');
    else fail('no JavaScript errors on the page', pageErrors.slice(0, 10).join('\n'));
  } finally {
    if (sqlStopped) await setReplica1Sql(true).catch((e) => console.log(`could not restart replica1's SQL thread: ${e.message}`));
    await browser.close().catch(() => browser.process() && browser.process().kill('SIGKILL'));
  }
  console.log(`dashboard: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

const watchdog = setTimeout(() => {
  console.log(`FAIL the whole test took longer than ${WHOLE_TEST_MS / 1000} s`);
  console.log(`dashboard: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, WHOLE_TEST_MS);

main().then((rc) => {
  clearTimeout(watchdog);
  process.exit(rc);
}, (e) => {
  clearTimeout(watchdog);
  fail('the test ran to its end', e.stack || e.message);
  console.log(`dashboard: ${passed} passed, ${failed} failed`);
  process.exit(1);
});
