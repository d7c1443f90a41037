// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Every deployable service's package name; a lib never imports one, a service never imports another. */
const servicePackages = ['@passerelle/adapter-*', '@passerelle/projector', '@passerelle/view-api', '@passerelle/service-*'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.passerelle/**', '**/dist/**', 'schemas/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Dependencies point one way: services → libs → schemas.
    files: ['libs/**/*.ts', 'schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: servicePackages, message: 'a lib must not import a service: move the shared code into libs/' },
            { group: ['**/services/**'], message: 'a lib must not import a service: move the shared code into libs/' },
            {
              group: ['@passerelle/infra', '@passerelle/infra/*', '**/infra/**'],
              message: 'a lib must not import infra (the local stack tooling sits above every lib): move the shared code into a lib',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: servicePackages, message: 'a service must not import another service: share through libs/' },
            {
              group: ['../../*/**', '../../../*/**', '**/services/**'],
              message: 'a service must not reach into another service: share through libs/',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
      },
    },
  },
);
