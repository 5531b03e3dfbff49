/** The hexagon's dependency rule, enforced on every test run. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain imports only domain files: no node:, no packages, no outer layer.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: '^src/domain' },
    },
    {
      name: 'application-imports-domain-only',
      comment: 'The application layer knows the domain and its own ports, never adapters or infrastructure.',
      severity: 'error',
      from: { path: '^src/application' },
      to: { pathNot: '^src/(domain|application)' },
    },
    {
      name: 'adapters-do-not-know-infrastructure',
      comment: 'Adapters implement ports; only infrastructure wires concrete classes together.',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: '^src/infrastructure' },
    },
    {
      name: 'adapters-do-not-know-each-other',
      comment: 'One adapter folder never reaches into another; what several need lives in adapters/shared.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/([^/]+)/', pathNot: ['^src/adapters/$1/', '^src/adapters/shared/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.build.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
