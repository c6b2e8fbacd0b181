// The static analysis of the code scan (runtime/scan/scan.js): eslint-plugin-security's rules on
// the application's JavaScript, whatever its own lint configuration says. Severities are the
// scan's (SAST_SEVERITY in scan.js), not ESLint's.
import security from "eslint-plugin-security";

export default [
  { ignores: ["**/node_modules/**", "**/dist/**", "**/reports/**", "**/coverage/**", "**/.scan/**"] },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs", "**/*.jsx"],
    languageOptions: { ecmaVersion: "latest" },
    ...security.configs.recommended,
  },
  { files: ["**/*.js", "**/*.cjs"], languageOptions: { sourceType: "commonjs" } },
];
