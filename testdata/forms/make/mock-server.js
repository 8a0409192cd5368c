#!/usr/bin/env node
// A stand-in for the two Northflank API endpoints that the fixtures of
// testdata/forms/ come from, so that the official clients can be run
// against it (see make-client-outputs.sh). It listens on 127.0.0.1 only,
// on a port the system picks, prints that port on stdout, and stops by
// itself after --max-requests requests or --max-seconds seconds, whichever
// comes first. Each request is logged on stderr.
//
//   node mock-server.js [--max-requests N] [--max-seconds S]
//
// GET /v1/projects/P/addons/A/backups/example-backup
//     200, the body of ../api.json as it is (the documented example).
// GET /v1/projects/P/addons/A/backups/B (any other B)
//     404, {"error": {"status": 404, "message": "Backup B not found",
//     "id": "backup-not-found"}}.
// GET /v1/projects/P/addons/A/backups (query string ignored)
//     200, the body of ../list-page.json as it is.
// GET /v1/projects/P/addons/missing-addon/backups
//     404, {"error": {"status": 404, "message": "Addon missing-addon not
//     found", "id": "addon-not-found"}}.
// GET /v1/login
//     200, {"data": {}}: the CLI's `login` checks the token with this call
//     and looks at the status only.
// Anything else: 404 with id "not-found".
//
// Only node's own modules are used.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

function option(name, dflt) {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`mock-server: ${name}: expected a positive integer, found ${process.argv[i + 1]}\n`);
    process.exit(2);
  }
  return n;
}

const maxRequests = option('--max-requests', 40);
const maxSeconds = option('--max-seconds', 120);
const forms = path.join(__dirname, '..');
const backupBody = fs.readFileSync(path.join(forms, 'api.json'));
const listBody = fs.readFileSync(path.join(forms, 'list-page.json'));

function error(status, message, id) {
  return Buffer.from(JSON.stringify({ error: { status, message, id } }, null, 2) + '\n');
}

function route(method, url) {
  const p = url.split('?')[0];
  let m;
  if (method !== 'GET') return [404, error(404, 'Not found', 'not-found')];
  if (p === '/v1/login') return [200, Buffer.from('{"data":{}}\n')];
  if ((m = p.match(/^\/v1\/projects\/([^/]+)\/addons\/([^/]+)\/backups\/([^/]+)$/))) {
    const backupId = decodeURIComponent(m[3]);
    if (backupId === 'example-backup') return [200, backupBody];
    return [404, error(404, `Backup ${backupId} not found`, 'backup-not-found')];
  }
  if ((m = p.match(/^\/v1\/projects\/([^/]+)\/addons\/([^/]+)\/backups$/))) {
    const addonId = decodeURIComponent(m[2]);
    if (addonId === 'missing-addon') return [404, error(404, `Addon ${addonId} not found`, 'addon-not-found')];
    return [200, listBody];
  }
  return [404, error(404, 'Not found', 'not-found')];
}

let served = 0;
const server = http.createServer((req, res) => {
  // The body of a request, if any, is read and dropped.
  req.resume();
  req.on('end', () => {
    const [status, body] = route(req.method, req.url);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      Connection: 'close',
    });
    res.end(body);
    process.stderr.write(`mock-server: ${req.method} ${req.url} -> ${status}\n`);
    if (++served >= maxRequests) stop(`served ${served} requests`);
  });
});

function stop(why) {
  process.stderr.write(`mock-server: stopping: ${why}\n`);
  server.close();
  server.closeAllConnections();
  // Whatever is still open does not keep the process alive.
  setTimeout(() => process.exit(0), 500).unref();
}

setTimeout(() => stop(`${maxSeconds} s passed`), maxSeconds * 1000).unref();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
