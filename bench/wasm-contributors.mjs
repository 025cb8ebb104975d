// Which crates the dashboard's wasm is made of: twiggy's items (CSV) summed by the
// crate their code comes from. Custom sections (function names and the like) are
// left out: wasm-opt strips them, so they never reach the browser.

/** One CSV record as twiggy writes it: quoted fields, quotes doubled. */
function fields(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') { cur += '"'; i += 1; } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) { out.push(cur); cur = ''; } else cur += c;
  }
  return [...out, cur];
}

const firstCrate = (path) => path.replace(/^(?:&|\*const |\*mut |mut |dyn |impl )+/, '').match(/^[A-Za-z_]\w*/)?.[0];

/** The crate an item's code comes from, or null for a custom section. */
export function crateOf(name) {
  if (/subsection$|^custom section/.test(name)) return null;
  if (name.startsWith('data segment')) return '(static data)';
  if (name.startsWith('import ')) return '(imports from the JS glue)';
  if (!name.includes('::')) return '(tables, exports, glue)';
  // `<Type as crate::Trait>::f`: a bare type (generic, primitive) gets the trait's crate.
  const impl = name.match(/^<(.+?) as ([A-Za-z_]\w*)/);
  if (impl) return impl[1].includes('::') ? firstCrate(impl[1]) : impl[2];
  if (/^<[a-z0-9_]+>::/.test(name)) return 'core'; // an inherent method of a primitive, `<char>::…`
  return firstCrate(name.replace(/^</, ''));
}

/** From `twiggy top -n 1000000 -f csv`: the biggest crates and the biggest items,
 * each { name, bytes, percent } of what reaches the browser (before wasm-opt). */
export function contributors(csv, limit = 15) {
  const items = csv.trim().split('\n').slice(1).map(fields)
    .map(([name, size]) => ({ name, crate: crateOf(name), bytes: Number(size) }))
    .filter((item) => item.crate != null);
  const total = items.reduce((sum, item) => sum + item.bytes, 0);
  const byCrate = new Map();
  for (const item of items) byCrate.set(item.crate, (byCrate.get(item.crate) ?? 0) + item.bytes);
  const top = (entries) => entries.sort((a, b) => b.bytes - a.bytes).slice(0, limit)
    .map(({ name, bytes }) => ({ name, bytes, percent: (100 * bytes) / total }));
  return {
    totalBytes: total,
    items: items.length,
    crates: top([...byCrate].map(([name, bytes]) => ({ name, bytes }))),
    functions: top(items.map(({ name, bytes }) => ({ name: name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, ''), bytes }))),
  };
}
