// Writes a JSON array of values as a YAML stream, one "---" document per
// value, with one of the JavaScript writers as its users call it:
//
//   js-yaml-3  js-yaml 3 safeDump (what the Northflank CLI's -o yaml uses)
//   js-yaml-4  js-yaml 4 dump
//   yaml       the yaml package's stringify (YAML 1.2 core schema)
//
// usage: node dump.js WRITER FILE        (the YAML on stdout)
//        node dump.js --types FILE
//
// --types reads a JSON array of strings and prints, for each, whether a
// plain scalar of that text is a null, bool, int or float (true) or a
// string (false) for js-yaml 3's DEFAULT_SAFE_SCHEMA and for the yaml
// package's YAML 1.2 core schema: {"js-yaml-3": [...], "core": [...]}.
'use strict';

const fs = require('fs');

const writers = {
  'js-yaml-3': (v) => require('js-yaml-3').safeDump(v),
  'js-yaml-4': (v) => require('js-yaml-4').dump(v),
  'yaml': (v) => require('yaml').stringify(v),
};

// js-yaml 3 resolves a plain scalar with its schema's implicit types in
// order; the four that make it other than a string are these.
function jsYaml3Typed(s) {
  const schema = require('js-yaml-3').DEFAULT_SAFE_SCHEMA;
  const tags = ['null', 'bool', 'int', 'float'].map(
    (n) => 'tag:yaml.org,2002:' + n);
  if (s === '') return true; // an empty node is null
  return schema.compiledImplicit.some(
    (t) => tags.includes(t.tag) && t.resolve(s));
}

// The yaml package's core schema, through its parser: the caller passes
// only texts that are one plain scalar.
function coreTyped(s) {
  try {
    const doc = require('yaml').parseDocument('v: ' + s, { schema: 'core' });
    if (doc.errors.length) return null;
    return typeof doc.toJS().v !== 'string';
  } catch (e) {
    return null; // an alias, say: not a plain scalar
  }
}

const [mode, file] = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(file, 'utf8'));
if (mode === '--types') {
  process.stdout.write(JSON.stringify({
    'js-yaml-3': input.map(jsYaml3Typed),
    'core': input.map(coreTyped),
  }));
} else if (writers[mode]) {
  const out = input.map((v) => '---\n' + writers[mode](v));
  process.stdout.write(out.join(''));
} else {
  console.error('expected a writer (' + Object.keys(writers).join(', ') +
                ') or --types, found ' + JSON.stringify(mode));
  process.exit(2);
}
