#!/usr/bin/env node
// Node mysql2 (from npm) against CW_HOST:CW_PORT: both auth plugins (caching_sha2 only
// when CW_SHA2_USER is set), with and without TLS, server-side prepared statements
// (execute), multipleStatements and a large-ish result.
// Ends with `node: N passed, N failed`; exit status 1 on any failure.
'use strict';

const mysql = require('mysql2/promise');
const fs = require('fs');

const env = process.env;
const HOST = env.CW_HOST || '127.0.0.1';
const PORT = Number(env.CW_PORT || 3306);
const USER = env.CW_USER || 'app';
const PASSWORD = env.CW_PASSWORD || 'app';
const DB = env.CW_DB || 'demo';
const SHA2_USER = env.CW_SHA2_USER || null;
const SHA2_PASSWORD = env.CW_SHA2_PASSWORD || '';
const CA = env.CW_CA || null;
const TLS = env.CW_TLS === '1';

let passed = 0;
let failed = 0;
let skipped = 0;
const tests = [];

class Skip extends Error {}

function test(name, fn) {
  tests.push({ name, fn });
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// tls: null (plain), 'verify' (against CW_CA) or 'noverify'.
async function connect({ user = USER, password = PASSWORD, tls = null, ...extra } = {}) {
  const opts = {
    host: HOST, port: PORT, user, password, database: DB,
    charset: 'utf8mb4', connectTimeout: 10000, supportBigNumbers: true, bigNumberStrings: true,
    dateStrings: true, ...extra,
  };
  if (tls === 'verify') opts.ssl = { ca: fs.readFileSync(CA) };
  if (tls === 'noverify') opts.ssl = { rejectUnauthorized: false };
  return mysql.createConnection(opts);
}

async function scalar(conn, sql, params) {
  const [rows] = await conn.query({ sql, rowsAsArray: true }, params);
  return rows[0][0];
}

// ------------------------------------------------------------------ auth x TLS matrix

for (const [plugin, user, password] of [
  ['mysql_native_password', USER, PASSWORD],
  ['caching_sha2_password', SHA2_USER, SHA2_PASSWORD],
]) {
  for (const tls of [null, 'verify', 'noverify']) {
    test(`connect ${plugin} ${tls ? 'TLS ' + tls : 'plain'}`, async () => {
      if (tls && !TLS) throw new Skip('CW_TLS is not 1');
      if (tls === 'verify' && !CA) throw new Skip('CW_CA not set');
      if (!user) {
        throw new Skip('CW_SHA2_USER not set (plain MariaDB has no caching_sha2_password)');
      }
      const conn = await connect({ user, password, tls });
      try {
        const who = await scalar(conn, 'SELECT CURRENT_USER()');
        check(who.startsWith(user + '@'), `CURRENT_USER() is ${who}`);
        const stream = conn.connection.stream;
        const encrypted = Boolean(stream.encrypted);
        check(encrypted === Boolean(tls), `TLS active=${encrypted}, wanted ${Boolean(tls)}`);
        check(Number(await scalar(conn, 'SELECT ? + ?', [20, 22])) === 42, 'query failed');
        return encrypted ? `cipher ${stream.getCipher().name}` : undefined;
      } finally {
        await conn.end();
      }
    });
  }
}

test('wrong password is refused with 1045', async () => {
  try {
    const c = await connect({ password: 'nope-' + PASSWORD });
    await c.end();
  } catch (e) {
    check(e.errno === 1045, `errno ${e.errno}: ${e.message}`);
    check(e.sqlState === '28000', `sqlState ${e.sqlState}`);
    return;
  }
  throw new Error('connected with a wrong password');
});

// ------------------------------------------------------------------ prepared statements

test('execute() uses server-side prepared statements with typed parameters', async () => {
  const conn = await connect();
  try {
    await conn.query('DROP TABLE IF EXISTS node_ps');
    await conn.query('CREATE TABLE node_ps (id INT PRIMARY KEY, s VARCHAR(50), b BLOB, ' +
      'big BIGINT, d DOUBLE, dt DATETIME(3), n INT) CHARACTER SET utf8mb4');
    const blob = Buffer.from([0, 1, 2, 0x27, 0x5c, 0xff]);
    const ins = 'INSERT INTO node_ps VALUES (?, ?, ?, ?, ?, ?, ?)';
    for (let i = 1; i <= 20; i++) {
      const [res] = await conn.execute(ins, [i, `s\u00e9-${i}`, blob, '9007199254740993',
        i / 4, '2021-06-07 08:09:10.123', null]);
      check(res.affectedRows === 1, `affectedRows ${res.affectedRows}`);
    }
    // An explicit prepare shows the server assigned a statement id and parsed the parameters.
    const stmt = await conn.prepare('SELECT id, s, b, big, d, dt, n FROM node_ps WHERE id = ?');
    const info = stmt.statement; // the COM_STMT_PREPARE response, as mysql2 decoded it
    check(Number.isInteger(info.id) && info.id > 0, `statement id ${info.id}`);
    check(info.parameters.length === 1, `parameter count ${info.parameters.length}`);
    check(info.columns.length === 7, `column count ${info.columns.length}`);
    const [rows] = await stmt.execute([7]);
    check(rows.length === 1, `rows ${rows.length}`);
    const r = rows[0];
    check(r.id === 7 && r.s === 's\u00e9-7', `row ${JSON.stringify(r)}`);
    check(Buffer.compare(r.b, blob) === 0, 'blob differs');
    check(r.big === '9007199254740993', `BIGINT ${r.big}`);
    check(r.d === 1.75, `DOUBLE ${r.d}`);
    check(r.dt === '2021-06-07 08:09:10.123', `DATETIME ${r.dt}`);
    check(r.n === null, `NULL came back as ${r.n}`);
    const [none] = await stmt.execute([999]);
    check(none.length === 0, 'a missing key returned rows');
    await stmt.close();
    const [[agg]] = await conn.execute(
      'SELECT COUNT(*) AS c, SUM(d) AS s FROM node_ps WHERE id > ?', [10]);
    check(Number(agg.c) === 10 && Number(agg.s) === 38.75, `aggregate ${JSON.stringify(agg)}`);
  } finally {
    await conn.end();
  }
});

test('execute() errors carry the server code (1146, 1064)', async () => {
  const conn = await connect();
  try {
    for (const [sql, errno] of [['SELECT * FROM node_no_such_table WHERE id = ?', 1146],
      ['SELEC ?', 1064]]) {
      try {
        await conn.execute(sql, [1]);
        throw new Error(`no error for ${sql}`);
      } catch (e) {
        check(e.errno === errno, `${sql}: errno ${e.errno} (${e.message})`);
      }
    }
    check(Number(await scalar(conn, 'SELECT 1')) === 1, 'session unusable after errors');
  } finally {
    await conn.end();
  }
});

// ------------------------------------------------------------------ text protocol

test('multipleStatements returns every result', async () => {
  const conn = await connect({ multipleStatements: true });
  try {
    const [results] = await conn.query(
      'DROP TABLE IF EXISTS node_multi; CREATE TABLE node_multi (id INT); ' +
      'INSERT INTO node_multi VALUES (1),(2),(3); SELECT SUM(id) AS s FROM node_multi; ' +
      "SELECT 'last' AS l");
    check(results.length === 5, `${results.length} results`);
    check(results[2].affectedRows === 3, `insert affected ${results[2].affectedRows}`);
    check(Number(results[3][0].s) === 6, `sum ${JSON.stringify(results[3])}`);
    check(results[4][0].l === 'last', 'last result wrong');
  } finally {
    await conn.end();
  }
});

test('large-ish result: 100k rows arrive complete', async () => {
  const conn = await connect();
  try {
    const d = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL " +
      "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 " +
      "UNION ALL SELECT 9)";
    const sql = 'SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d AS n, ' +
      "REPEAT('y', 30) AS pad " +
      `FROM ${d} a, ${d} b, ${d} c, ${d} e, ${d} f ORDER BY n`;
    const [rows] = await conn.query(sql);
    check(rows.length === 100000, `${rows.length} rows`);
    let sum = 0;
    let ordered = true;
    rows.forEach((r, i) => { sum += Number(r.n); ordered = ordered && Number(r.n) === i; });
    check(sum === 4999950000, `sum ${sum}`);
    check(ordered, 'rows out of order');
    check(rows[99999].pad === 'y'.repeat(30), 'pad column wrong');
  } finally {
    await conn.end();
  }
});

test('compress: true speaks the compressed protocol for results, statements and blobs', async () => {
  const conn = await connect({ compress: true, multipleStatements: true });
  try {
    // mysql2 keeps the option only when the server offered CLIENT_COMPRESS.
    check(Boolean(conn.connection.config.compress), 'the connection is not compressed');
    const [rows] = await conn.query("SELECT seq AS n, REPEAT('z', seq % 200) AS pad FROM seq_1_to_30000");
    check(rows.length === 30000 && Number(rows[29999].n) === 30000, `${rows.length} rows`);
    check(rows[198].pad === 'z'.repeat(199), 'pad column wrong');
    const blob = Buffer.alloc(3 * 1024 * 1024, 'compressible-');
    const [[row]] = await conn.execute('SELECT ? AS b, LENGTH(?) AS n', [blob, blob]);
    check(Buffer.compare(Buffer.from(row.b), blob) === 0 && Number(row.n) === blob.length, 'blob differs');
    const [results] = await conn.query("SELECT 1 AS a; SELECT REPEAT('m', 100) AS b");
    check(results.length === 2 && results[1][0].b === 'm'.repeat(100), JSON.stringify(results).slice(0, 80));
  } finally {
    await conn.end();
  }
});

test('utf8mb4 round trip through query and execute', async () => {
  const conn = await connect();
  try {
    const text = 'caf\u00e9 \u{1F600} \u6f22\u5b57';
    check(await scalar(conn, 'SELECT ?', [text]) === text, 'query() round trip');
    const [[row]] = await conn.execute('SELECT ? AS t, CHAR_LENGTH(?) AS n', [text, text]);
    check(row.t === text, `execute() round trip: ${row.t}`);
    check(Number(row.n) === [...text].length, `CHAR_LENGTH ${row.n}`);
  } finally {
    await conn.end();
  }
});

test('JSON columns arrive as objects, as from the server (MariaDB extended metadata)', async () => {
  const conn = await connect();
  try {
    await conn.query('CREATE TABLE IF NOT EXISTS node_json (id INT PRIMARY KEY, doc JSON)');
    await conn.query('REPLACE INTO node_json VALUES (1, \'{"test": true, "n": [1, 2]}\')');
    const [[viaQuery]] = await conn.query('SELECT doc FROM node_json WHERE id = 1');
    const [[viaExecute]] = await conn.execute('SELECT doc FROM node_json WHERE id = ?', [1]);
    for (const [how, row] of [['query', viaQuery], ['execute', viaExecute]]) {
      check(typeof row.doc === 'object' && row.doc.test === true && row.doc.n[1] === 2,
        `${how}(): ${JSON.stringify(row.doc)} (${typeof row.doc})`);
    }
  } finally {
    await conn.end();
  }
});

async function main() {
  for (const { name, fn } of tests) {
    try {
      const note = await fn();
      passed++;
      console.log(`PASS ${name}${note ? ` (${note})` : ''}`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log(`SKIP ${name}: ${e.message}`);
      } else {
        failed++;
        console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
      }
    }
  }
  console.log(`node: ${skipped} skipped`);
  console.log(`node: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main();
