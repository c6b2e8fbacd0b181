import tseslint from "typescript-eslint";

export default tseslint.config(
  // JavaScript is not linted, but for the code that runs in AWS (runtime/): what is linted and tested is what ships.
  { ignores: ["node_modules/", "cdktf.out/", "coverage/", "**/*.js", "!runtime/**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // The package root re-exports ~1,000 resources: importing it costs seconds and gigabytes in
      // every test file (measured: 25.5 s and 2.8 GB against 2.4 s and 0.26 GB for the same 20 tests).
      // Import one resource by its deep path instead.
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "cdktf",
              message:
                "Import cdktf's classes from modules/lib/cdk.ts: the one file a move to CDK Terrain (cdktn) changes (docs/cdktf.md).",
            },
            {
              name: "@cdktf/provider-aws",
              message: "Import the resource by deep path: @cdktf/provider-aws/lib/<resource>.",
            },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // runtime/*.js runs under node in CodeBuild, as CommonJS with no dependency: require() is how it loads node's modules.
    files: ["runtime/**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The one file that names the library (docs/cdktf.md).
    files: ["modules/lib/cdk.ts"],
    rules: { "no-restricted-imports": "off" },
  },
);
