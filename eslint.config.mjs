// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Workflow code is bundled and replayed by Temporal: it must stay deterministic, so it may
// not reach Node built-ins or any module that does I/O.
const nodeBuiltins = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns',
  'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks',
  'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
const ioModules = [
  'better-sqlite3', 'ldapts', 'soap', 'node-forge', '@temporalio/client', '@temporalio/worker',
  '@temporalio/activity', '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tools/**', 'dist/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's test()/describe() return promises the runner itself tracks.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((name) => [name, `node:${name}`]).map((name) => ({
            name, message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).',
          })),
          ...ioModules.map((name) => ({ name, message: 'Workflow code must not import I/O modules (use an activity).' })),
        ],
        patterns: [{ group: ['**/activities/*', '**/site/*', '**/amt/*', '**/directory/*', '**/emulator/*'],
          message: 'Workflows import only types from activities; implementation modules do I/O.', allowTypeImports: true }],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No environment or process access in workflows.' },
        { name: 'require', message: 'No dynamic requires in workflows.' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use workflow time (Temporal replaces Date) only through workflow APIs.' },
        { object: 'Math', property: 'random', message: 'Randomness belongs in activities.' }],
    },
  },
  {
    files: ['**/*.mjs', 'bin/**'],
    ...tseslint.configs.disableTypeChecked,
  },
);
