/**
 * The dependency rules of mlayer's packages (docs/architecture.md), checked by
 * `npm run check:deps` (part of `npm test`, hence of `.ci/run`):
 *
 *   package                          may import (of ours)
 *   packages/core                    nothing
 *   packages/data                    core
 *   packages/engine                  core
 *   packages/adapters-sim            core, engine
 *   packages/adapters-epics          core
 *   packages/adapters-tango          core
 *   packages/calibration             core
 *   packages/facility-tools          core, calibration
 *   packages/tuning-tools/common     core, data
 *   packages/tuning-tools/<tool>     core, tuning-common, data (orbit, tune, chromaticity, loco, bba):
 *                                    never an adapter, the engine, the virtual accelerator or the CLI;
 *                                    of npm packages only numeric libraries (and zod, yaml for reading
 *                                    interchange files)
 *   packages/tuning-tools/commissioning  the same, and the other tools' packages
 *   packages/virtual-accelerator     core, the adapters, calibration
 *   packages/server                  core, the tools it runs (orbit, tune, chromaticity, and what they
 *                                    use: tuning-common, data) (and ws)
 *   packages/adapters-ws             core (and ws in Node)
 *   packages/web                     core's errors only (`@mlayer/core/errors`, a file that imports nothing):
 *                                    the page speaks the server's protocol (lit, echarts)
 *   packages/adapters-replay         core (record & replay of any control system) (and rxjs)
 *   packages/cli                     anything
 *
 * and, over every package's src: no production file imports a `testing` entry
 * (`@mlayer/<pkg>/testing`, a `src/testing/` folder), no import cycle, no
 * import that does not resolve (an unresolved `@mlayer/...` would escape the
 * rules). core's npm dependencies are the ones of the issue's table.
 *
 * Workspace packages are imported by name (`@mlayer/engine`); the aliases in
 * `.dependency-cruiser.aliases.cjs` map them (and their `exports` subpaths) to
 * their `src/*.ts`, so the rules work on the sources, built or not.
 */

/** Of ours: `packages/<dir>/src/` (dir may be `tuning-tools/<name>`). */
const src = (dirs) => `^packages/(${dirs.join('|')})/src/`;
const OURS = '^(packages|facilities)/';

/** [package folder, folders it may import besides itself]. */
const TABLE = [
  ['core', []],
  ['data', ['core']],
  ['engine', ['core']],
  ['adapters-sim', ['core', 'engine']],
  ['adapters-epics', ['core']],
  ['adapters-tango', ['core']],
  ['calibration', ['core']],
  ['facility-tools', ['core', 'calibration']],
  ['tuning-tools/common', ['core', 'data']],
  ['virtual-accelerator', ['core', 'adapters-sim', 'adapters-epics', 'adapters-tango', 'calibration']],
  ['server', ['core', 'tuning-tools/orbit', 'tuning-tools/tune', 'tuning-tools/chromaticity', 'tuning-tools/common', 'data']],
  ['adapters-ws', ['core']],
  ['web', ['core']],
  ['adapters-replay', ['core']],
];

/**
 * npm packages the tools may use besides our own: numeric libraries; and zod and
 * yaml (core's own) for the checked reading of interchange files (loco's ORM.json, FIT.yaml).
 */
const TOOL_NPM = ['ml-[a-z0-9-]+', 'mathjs', 'rxjs', 'zod', 'yaml'];
/** npm packages core may use (the issue's table, plus the YAML parser its config loader reads with). */
const CORE_NPM = ['rxjs', 'inversify', 'zod', 'yaml', 'js-yaml', 'reflect-metadata'];

const packageRules = TABLE.map(([dir, allowed]) => ({
  name: `${dir.replace('/', '-')}-imports-only-${allowed.length ? allowed.join('-').replace(/\//g, '-') : 'itself'}`,
  severity: 'error',
  comment: `packages/${dir} may import ${allowed.length ? allowed.join(', ') : 'nothing'} of ours (docs/architecture.md)`,
  from: { path: src([dir]) },
  to: { path: OURS, pathNot: src([dir, ...allowed]) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...packageRules,
    {
      name: 'tuning-tool-imports-only-core-tuning-common-data',
      severity: 'error',
      comment:
        'A tuning tool (packages/tuning-tools/<tool>) imports core, tuning-common and data only: never an adapter, the engine, the virtual accelerator or the CLI. It reaches them through core\'s ports.',
      from: { path: '^packages/tuning-tools/([^/]+)/src/', pathNot: '^packages/tuning-tools/(common|commissioning)/' },
      to: { path: OURS, pathNot: ['^packages/tuning-tools/$1/src/', src(['core', 'data', 'tuning-tools/common'])] },
    },
    {
      name: 'commissioning-imports-only-core-data-tools',
      severity: 'error',
      comment: 'The commissioning package runs the other tools in sequence: it imports core, data, tuning-common and the tools\' packages, never an adapter, the engine, the virtual accelerator or the CLI.',
      from: { path: '^packages/tuning-tools/commissioning/src/' },
      to: { path: OURS, pathNot: ['^packages/tuning-tools/[^/]+/src/', src(['core', 'data'])] },
    },
    {
      name: 'web-imports-only-core-errors',
      severity: 'error',
      comment: 'The web page (a browser bundle) imports of ours only core\'s errors (@mlayer/core/errors): MlayerError for its own errors, nothing that loads zod, inversify or Node modules.',
      from: { path: src(['web']) },
      to: { path: src(['core']), pathNot: '^packages/core/src/errors\\.ts$' },
    },
    {
      name: 'tuning-tool-npm-only-numeric',
      severity: 'error',
      comment: 'A tuning tool uses, of npm packages, numeric libraries only.',
      from: { path: '^packages/tuning-tools/[^/]+/src/', pathNot: '^packages/tuning-tools/common/' },
      to: { path: 'node_modules/', pathNot: `node_modules/(${TOOL_NPM.join('|')})/` },
    },
    {
      name: 'core-npm-only-its-table',
      severity: 'error',
      comment: `core uses, of npm packages, ${CORE_NPM.join(', ')} only.`,
      from: { path: src(['core']) },
      to: { path: 'node_modules/', pathNot: `node_modules/(${CORE_NPM.join('|')})/` },
    },
    {
      name: 'no-testing-entry-in-production',
      severity: 'error',
      comment: 'Production code never imports a testing entry (@mlayer/<pkg>/testing, a src/testing/ folder): those are for tests.',
      from: { path: '^(packages|facilities)/.+/src/', pathNot: '/src/testing/' },
      to: { path: ['/src/testing/', '^@mlayer/[^/]+/testing(/|$)', '/dist/testing/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle over the packages\' sources (a cycle makes load order matter and hides the layering).',
      from: { path: '^packages/(tuning-tools/)?[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (an unresolved @mlayer/... import would escape the rules above).',
      from: { path: '^(packages|facilities)/.+/src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/dist/', '/test/', '\\.d\\.ts$'] },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    webpackConfig: { fileName: '.dependency-cruiser.aliases.cjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
