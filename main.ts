import * as path from "path";
import { App } from "cdktf";
import { ConfigError, loadConfig } from "./modules/config";
import { createStacks } from "./modules/stacks";

// Validate every environment before building anything: a bad value stops the synth here, with
// each problem's file, field and value, and no stack is written.
let config;
try {
  config = loadConfig(path.join(__dirname, "environments"));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const app = new App();
createStacks(app, config);
app.synth();
