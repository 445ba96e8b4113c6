/**
 * Module hooks (run on Node's hooks thread): an import that resolves to a bundled
 * package's entry file is pointed at that entry's bundle instead. See register.mjs.
 */
/** @type {Map<string, string>} original entry file URL -> bundle entry file URL */
let redirects = new Map();

export function initialize(data) {
  redirects = new Map(Object.entries(data.redirects));
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const bundle = redirects.get(resolved.url);
  return bundle ? { ...resolved, url: bundle, format: 'module' } : resolved;
}
