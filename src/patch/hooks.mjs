// Module hooks for loading user-written patch files (registered by load.ts with module.register).
// Plain JavaScript: hooks run on Node's loader thread, before any TypeScript support.
//
// 1. `racewalk` and `racewalk/<sub>` resolve to the racewalk that is running, wherever the
//    user's file lives, so a patch is checked against the same model (and the same module
//    instances) as the CLI that loads it.
// 2. The file the user named is the file that runs: racewalk imports it by its file: URL, and
//    that URL is used as it is (tsx, asked to resolve `p.js`, would run a `p.ts` beside it).
// 3. A `.ts` or `.js` file outside node_modules in a folder whose package.json does not say
//    "type": "module" would be loaded as CommonJS; patch and scenario files use import/export,
//    so they are loaded as ES modules wherever they are.
let exportsMap = {};
let root = '';

export function initialize(data) {
  exportsMap = data.exports;
  root = data.root;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'racewalk' || specifier.startsWith('racewalk/')) {
    const sub = specifier === 'racewalk' ? '.' : `./${specifier.slice('racewalk/'.length)}`;
    const target = exportsMap[sub];
    if (target !== undefined) return { url: new URL(target, root).href, shortCircuit: true, format: 'module' };
  }
  if (specifier.startsWith('file:') && context.parentURL !== undefined && context.parentURL.startsWith(root) && /\.(ts|mts|js|mjs)$/.test(new URL(specifier).pathname)) {
    return { url: specifier, shortCircuit: true, format: 'module' };
  }
  const r = await nextResolve(specifier, context);
  if (r.url.startsWith('file:') && /\.(ts|js)$/.test(r.url) && !r.url.includes('/node_modules/') && r.format !== 'module') {
    return { ...r, format: 'module' };
  }
  return r;
}
