// Test-only stand-in for cdktf's and constructs' captureStackTrace (see jest.config.js), and for
// captureCreationStack, the name CDK Terrain (cdktn) gives it (docs/cdktf.md).
exports.captureStackTrace = () => [];
exports.captureCreationStack = () => [];
