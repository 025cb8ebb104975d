#!/usr/bin/env node
// Prints the nginx snippet with the Content-Security-Policy inputs of a built
// index.html: its inline scripts and styles by sha256,
//   set $csp_script_hashes "'sha256-…' …";
//   set $csp_style_hashes "…";
// Run on the very index.html that is served (image build, local sandbox), so they
// always agree. A trunk build always has its inline loader, so none found is an
// error. Two options exist for the benchmark's react-admin peer, never the dashboard:
//   --allow-no-script  the page loads all its scripts by URL (a Vite build)
//   --empty-style      allow empty <style> elements: emotion (MUI's CSS-in-JS) creates
//                      them and fills them through CSSOM insertRule, which CSP does
//                      not govern, so its styles apply without 'unsafe-inline'
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const OPTIONS = ['--allow-no-script', '--empty-style'];
const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const unknown = args.filter((a) => a.startsWith('--') && !OPTIONS.includes(a));
if (!file || unknown.length > 0) {
  console.error(`usage: csp-hashes.mjs [${OPTIONS.join('] [')}] DIST/index.html`);
  process.exit(2);
}
const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const inline = (html, tag) => [...html.matchAll(new RegExp(`<${tag}(?![^>]*\\bsrc=)[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))]
  .map(([, body]) => sha256(body));

const html = readFileSync(file, 'utf8');
const scripts = inline(html, 'script');
const styles = new Set(inline(html, 'style'));
if (args.includes('--empty-style')) styles.add(sha256(''));
if (scripts.length === 0 && !args.includes('--allow-no-script')) {
  console.error(`${file}: no inline script found; is it a trunk build?`);
  process.exit(1);
}
process.stdout.write([
  `# Generated from ${file.split('/').pop()} by scripts/csp-hashes.mjs.`,
  `set $csp_script_hashes "${scripts.join(' ')}";`,
  `set $csp_style_hashes "${[...styles].join(' ')}";`,
  '',
].join('\n'));
