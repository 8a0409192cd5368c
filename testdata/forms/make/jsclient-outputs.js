#!/usr/bin/env node
// Runs the official JS client against mock-server.js and writes, for each
// call, exactly what a user who archives the result writes:
// JSON.stringify of the value the client returns, or of the error it throws.
//
//   node jsclient-outputs.js CLIENT_DIR PORT OUT_DIR PREFIX
//
// CLIENT_DIR is the directory of an installed @northflank/js-client
// package; PORT is the mock server's; the files are OUT_DIR/PREFIX-*.json.
//
// One thing is changed in what the client returns: the mock server's
// origin (http://127.0.0.1:PORT) in request.url is replaced with the
// client's default host, https://api.northflank.com, so that the files do
// not depend on the port the system picked. Nothing else is touched.
'use strict';

const fs = require('fs');
const path = require('path');

const [clientDir, port, outDir, prefix] = process.argv.slice(2);
if (!clientDir || !port || !outDir || !prefix) {
  process.stderr.write('usage: node jsclient-outputs.js CLIENT_DIR PORT OUT_DIR PREFIX\n');
  process.exit(2);
}

const client = require(path.resolve(clientDir));
const version = require(path.join(path.resolve(clientDir), 'package.json')).version;
const origin = `http://127.0.0.1:${port}`;

function save(name, value) {
  const text = JSON.stringify(value).split(origin).join('https://api.northflank.com');
  const file = path.join(outDir, `${prefix}-${name}.json`);
  fs.writeFileSync(file, text + '\n');
  process.stderr.write(`jsclient-outputs: js-client ${version}: ${path.basename(file)}: ${text.length + 1} bytes\n`);
}

async function newClient(opts) {
  const contexts = new client.ApiClientInMemoryContextProvider();
  await contexts.addContext({ name: 'mock', token: 'NORTHFLANK_API_TOKEN', host: origin });
  return new client.ApiClient(contexts, opts);
}

// The path parameters are those of the docs' JS client examples.
const backup = (backupId) => ({
  parameters: { projectId: 'default-project', addonId: 'example-addon', backupId },
});
const list = { parameters: { projectId: 'default-project', addonId: 'example-addon' } };

(async () => {
  const api = await newClient({});
  save('get', await api.get.addon.backup(backup('example-backup')));
  save('list', await api.get.addon.backups(list));
  // A failed call: by default the client returns the error in the result.
  save('error', await api.get.addon.backup(backup('missing-backup')));

  // With throwErrorOnHttpErrorCode the client throws a NorthflankApiCallError
  // instead, and users archive JSON.stringify(err).
  const throwing = await newClient({ throwErrorOnHttpErrorCode: true });
  try {
    await throwing.get.addon.backup(backup('missing-backup'));
    throw new Error('expected the call to throw');
  } catch (err) {
    if (err.name !== 'NorthflankApiCallError') throw err;
    save('thrown', err);
  }
})().catch((err) => {
  process.stderr.write(`jsclient-outputs: ${err.stack || err}\n`);
  process.exit(1);
});
