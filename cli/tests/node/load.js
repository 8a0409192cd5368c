// Loads a YAML stream one document at a time with one of the JavaScript
// loaders and prints a JSON array: per document {"v": value} or {"e": error}.
// A value that is not a string, number, bool, null, array or object (a Date,
// NaN, Infinity, a Buffer) is printed as {"!type": text} so that it cannot
// pass for a string.
//
// usage: node load.js LOADER FILE
//   LOADER: js-yaml-3, js-yaml-4, yaml-1.2 (the yaml package, YAML 1.2 core
//   schema, its default) or yaml-1.1 (the yaml package, YAML 1.1 schema)
'use strict';

const fs = require('fs');

const loaders = {
  'js-yaml-3': (text) => require('js-yaml-3').safeLoad(text),
  'js-yaml-4': (text) => require('js-yaml-4').load(text),
  'yaml-1.2': (text) => require('yaml').parse(text),
  'yaml-1.1': (text) => require('yaml').parse(text, { version: '1.1' }),
};

function tagged(v) {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number')
    return Number.isFinite(v) ? v : { '!number': String(v) };
  if (Array.isArray(v)) return v.map(tagged);
  if (v instanceof Date) return { '!date': String(v) };
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out = {};
    for (const k of Object.keys(v)) out[k] = tagged(v[k]);
    return out;
  }
  return { ['!' + typeof v]: String(v) };
}

const [name, file] = process.argv.slice(2);
const load = loaders[name];
if (!load) {
  console.error('expected a loader (' + Object.keys(loaders).join(', ') +
                '), found ' + JSON.stringify(name));
  process.exit(2);
}
// The writer opens every document with a line "---", and such a line
// cannot occur inside one (a string that would start with it is quoted).
const docs = fs.readFileSync(file, 'utf8').split(/^---$/m).slice(1);
const out = docs.map((doc) => {
  try {
    return { v: tagged(load('---' + doc)) };
  } catch (e) {
    return { e: String(e.message).split('\n')[0] };
  }
});
process.stdout.write(JSON.stringify(out));
