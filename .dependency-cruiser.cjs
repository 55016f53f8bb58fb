/**
 * Dependency rules checked by the test suite (test/structure/dependencies.test.ts), DESIGN
 * "Layout": no import cycles, type-only and dynamic imports included; libraries under packages/
 * never import a service, and no product code imports test/ (the fake vendor APIs the demo uses
 * are the package @orgpulse/fakes).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle, dynamic imports and type-only imports included',
      from: {},
      to: { circular: true },
    },
    {
      name: 'packages-import-no-service',
      severity: 'error',
      comment: 'packages/ holds libraries: they never import a service',
      from: { path: '^packages/', pathNot: '^services/cli/' },
      to: { path: '^services/' },
    },
    {
      name: 'product-imports-no-test',
      severity: 'error',
      comment: 'product code never imports test/ (fakes and setup are for tests)',
      from: { path: '^(packages|services|dashboards)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // tests of a package or service are not product code; top-level test/ stays visible as a target
    exclude: { path: '(^|/)(node_modules|generated|dist)/|^(packages|services|dashboards)/[^/]+/test/|\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['@orgpulse/source', 'import', 'default'] },
  },
}
