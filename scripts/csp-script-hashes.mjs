#!/usr/bin/env node
// Prints the nginx snippet that allows the inline scripts of a built index.html
// by their sha256: `set $csp_script_hashes "'sha256-…' …";`. Run on the very
// index.html that is served (image build, local sandbox), so they always agree.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: csp-script-hashes.mjs DIST/index.html');
  process.exit(2);
}
const html = readFileSync(file, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map(([, body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
if (hashes.length === 0) {
  console.error(`${file}: no inline script found; is it a trunk build?`);
  process.exit(1);
}
process.stdout.write(`# Generated from ${file.split('/').pop()} by scripts/csp-script-hashes.mjs.\nset $csp_script_hashes "${hashes.join(' ')}";\n`);
