// Module hooks for loading user-written patch files (registered by load.ts with module.register).
// Plain JavaScript: hooks run on Node's loader thread, before any TypeScript support.
//
// 1. `racewalk` and `racewalk/<sub>` resolve to the racewalk that is running, wherever the
//    user's file lives, so a patch is checked against the same model (and the same module
//    instances) as the CLI that loads it.
// 2. A `.ts` file outside node_modules in a folder whose package.json does not say
//    "type": "module" would be compiled as CommonJS by tsx; patch files use import/export, so
//    they are loaded as ES modules.
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
  const r = await nextResolve(specifier, context);
  if (r.url.startsWith('file:') && /\.ts$/.test(r.url) && !r.url.includes('/node_modules/') && r.format !== 'module') {
    return { ...r, format: 'module' };
  }
  return r;
}
