import * as path from "path";
import { loadConfig, localPreviews } from "./modules/config";
import { synthesizeAll } from "./modules/stacks/synth";
import { isProjectError } from "./modules/lib/errors";

// Every environment is validated before anything is built, and every stack is checked against the
// rule pack before any is written: a bad value or a weakened default stops the synth with a
// message that names the file (or construct), field and value, and no stack is written.
try {
  // cdktf's CLI passes the output folder in CDKTF_OUTDIR.
  synthesizeAll(process.env.CDKTF_OUTDIR ?? "cdktf.out", loadConfig(path.join(__dirname, "environments"), localPreviews(__dirname)));
} catch (error) {
  if (!isProjectError(error)) throw error;
  console.error(error.message);
  process.exit(1);
}
