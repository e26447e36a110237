// graphql-codegen's client preset: typed documents for every graphql(`…`) in src, generated
// from the schema committed at the repository's root (not from a running server), so the
// types change only when schema.graphql does.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**/*'],
  // ES modules for Node: relative imports with their .js extension.
  emitLegacyCommonJSImports: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: {
        // The API's scalars as the frontend sees them on the wire.
        scalars: { Date: 'string', Time: 'string', Decimal: 'string', Cursor: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
