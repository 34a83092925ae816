/**
 * The import-graph check (`npm run check:imports`, run by .ci/run): no import cycle in
 * src/ (type-only imports count), no feature importing the app factory (features import
 * src/http/route-deps.ts), and services built in one place (src/services.ts, called by
 * src/service.ts and, for tests, by buildApp). docs/architecture.md.
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle in src/ (type-only imports count).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-feature-imports-app',
      severity: 'error',
      comment: 'Only the composition root imports the app factory; features import src/http/route-deps.ts.',
      from: { path: '^src/', pathNot: '^src/(service|http/app)\\.ts$' },
      to: { path: '^src/http/app\\.ts$' },
    },
    {
      name: 'one-composition-root',
      severity: 'error',
      comment: 'Long-lived services are built by createServices, called by src/service.ts (and by buildApp for tests) only; others import its types.',
      from: { path: '^src/', pathNot: '^src/(service|services|http/app)\\.ts$' },
      to: { path: '^src/services\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
  },
};
