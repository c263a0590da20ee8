/** Jest runs every tier: unit specs beside the code, integration specs against real
 * PostgreSQL and RabbitMQ, and end-to-end specs through the gateway. Sources are
 * compiled by SWC (with decorator metadata, which NestJS needs); type checking is
 * done by `npm run build`, which `npm test` runs first. */
const swc = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/shared', '<rootDir>/services', '<rootDir>/gateway'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // jose 6 ships only ES modules; Node loads them via require(esm), but Jest needs them compiled.
  transform: { '^.+\\.ts$': ['@swc/jest', swc], '/node_modules/jose/.+\\.js$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper: {
    '^@servicedesk/(user|ticket|audit|appointment|notification)-service$':
      '<rootDir>/services/$1/src',
    '^@servicedesk/gateway$': '<rootDir>/gateway/src',
    '^@servicedesk/platform/([a-z-]+)$': '<rootDir>/shared/platform/src/$1',
    '^@servicedesk/([a-z-]+)$': '<rootDir>/shared/$1/src',
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/shared/testing/src/global-setup.ts',
  reporters: ['default', '<rootDir>/shared/testing/src/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
