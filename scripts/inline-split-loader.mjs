// Part of scripts/split-wasm.sh: gives the page modules content-hashed names and
// inlines the link module (wasm-split-cli's __wasm_split.js, which fetches them) into
// wasm-bindgen's glue.
//
// Inlined, not served beside the glue: the glue would import it statically, and a
// failed module import is cached for the life of the page by its URL, so one lost
// request would break the app until a reload. Inlined, the only files fetched later
// are the page modules, by fetch(), which a Retry asks for afresh.
//
//   node inline-split-loader.mjs GLUE LINK_MODULE SPLIT_DIR STAGING_DIR
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [glue, linkModule, splitDir, staging] = process.argv.slice(2);
const fail = (message) => {
  console.error(`inline-split-loader: ${message}`);
  process.exit(1);
};
if (!staging) fail('usage: GLUE LINK_MODULE SPLIT_DIR STAGING_DIR');

let link = readFileSync(linkModule, 'utf8');
const modules = readdirSync(splitDir).filter((f) => /^(split|chunk)_.*\.wasm$/.test(f));
if (modules.length === 0) fail(`no page modules in ${splitDir}: are the #[wasm_split] points gone?`);
for (const file of modules) {
  const bytes = readFileSync(join(splitDir, file));
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const hashed = `${basename(file, '.wasm')}-${hash}.wasm`;
  const reference = `"./${file}"`;
  if (link.split(reference).length !== 2) fail(`the link module names ${reference} not exactly once`);
  link = link.replace(reference, `"./${hashed}"`);
  copyFileSync(join(splitDir, file), join(staging, hashed));
}

// The link module imports the glue's initSync (which, once the app runs, only returns
// the main module's exports); inlined, it is the glue's own.
const importsGlue = /^import \{ initSync \} from "\.\/[^"]+\.js";\n/m;
if (!importsGlue.test(link)) fail('the link module does not import initSync as expected');
link = link.replace(importsGlue, '');
const loaders = [...link.matchAll(/^export const (\w+) = /gm)].map((m) => m[1]);
if (loaders.length === 0) fail('the link module exports no loaders');
link = link.replace(/^export const /gm, 'const ');
if (/^\s*(import|export)\b/m.test(link)) fail('the link module has other imports or exports');

// wasm-bindgen imports the link module as a namespace under the wasm import module's name,
// once per function the main module imports from it.
let code = readFileSync(glue, 'utf8');
const importsLink = /^import \* as (\w+) from ["']\.\/__wasm_split\.js["'];?\n/gm;
const names = [...code.matchAll(importsLink)].map((m) => m[1]);
if (names.length === 0) fail('the glue does not import ./__wasm_split.js as a namespace');
code = code.replace(importsLink, '');
if (code.includes('./__wasm_split.js"') && !/["']\.\/__wasm_split\.js["']\s*:/.test(code)) {
  fail('the glue refers to ./__wasm_split.js in a way this script does not know');
}
const loaderObject = `{ ${loaders.join(', ')} }`;
code += `\n// The page modules' loaders (scripts/split-wasm.sh).\n${link}\n`
  + names.map((name) => `const ${name} = ${loaderObject};\n`).join('');
writeFileSync(glue, code);
console.log(`inline-split-loader: ${modules.length} page modules, loaders ${loaders.join(', ')}`);
