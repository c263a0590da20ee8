/* Preloaded (`node -r`) into child processes that tests start from TypeScript sources: compiles
 * `.ts` with the SWC options Jest uses and resolves workspace packages to their `src/`, as
 * Jest's moduleNameMapper does, so a test runs the code under review rather than a stale build. */
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');
const jestConfig = require('../../../../jest.config.js');

const ROOT = jestConfig.rootDir;
const SWC_OPTIONS = jestConfig.transform['^.+\\.ts$'][1];

/** `@servicedesk/<package>[/<entry>]` → its source file, or undefined for anything else. */
function sourceOf(request) {
  const match = /^@servicedesk\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(request);
  if (!match) return undefined;
  const [, name, entry = 'index'] = match;
  const service = /^([a-z]+)-service$/.exec(name);
  if (service) return join(ROOT, 'services', service[1], 'src', `${entry}.ts`);
  if (name === 'gateway') return join(ROOT, 'gateway', 'src', `${entry}.ts`);
  return join(ROOT, 'shared', name, 'src', `${entry}.ts`);
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveToSource(request, ...rest) {
  return resolveFilename.call(this, sourceOf(request) ?? request, ...rest);
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...SWC_OPTIONS, filename });
  module._compile(code, filename);
};
