// Test-only stand-in for cdktf's and constructs' captureStackTrace (see jest.config.js).
exports.captureStackTrace = () => [];
