/**
 * The one place the project names its CDK for Terraform library (docs/cdktf.md, "The way
 * forward"): every other file imports cdktf's classes from here, and ESLint refuses a direct
 * import. Moving to CDK Terrain (`cdktn`) changes this line and package.json; the provider
 * bindings (`@cdktf/provider-aws/lib/<resource>`) are renamed with them.
 */
export * from "cdktf";
