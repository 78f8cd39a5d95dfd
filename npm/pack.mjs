#!/usr/bin/env node
// Builds and packs the npm packages of nestlint with `npm pack`: the launcher (`nestlint`) and
// the platform packages (`@nestlint/cli-*`), each holding one native binary.
//
//   node npm/pack.mjs platform --target <rust-target> --binary <path> [--out <dir>]
//   node npm/pack.mjs launcher [--out <dir>]
//   node npm/pack.mjs host --binary <path> [--out <dir>]    (both, for this machine's platform)
//
// Prints the path of each tarball it writes. The version is the cargo workspace's; the script
// refuses to pack when npm/nestlint/package.json disagrees with it or with platforms.json.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(npmDir);
const launcherDir = path.join(npmDir, "nestlint");
const platforms = JSON.parse(fs.readFileSync(path.join(launcherDir, "platforms.json"), "utf8"));

function fail(message) {
  process.stderr.write(`pack.mjs: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = { command, out: "npm-dist" };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i].replace(/^--/, "");
    if (!["target", "binary", "out"].includes(key) || rest[i + 1] === undefined) {
      fail(`unknown or incomplete option ${rest[i]}`);
    }
    options[key] = rest[i + 1];
  }
  return options;
}

/** The version in the workspace Cargo.toml's [workspace.package]. */
function cargoVersion() {
  const manifest = fs.readFileSync(path.join(repo, "Cargo.toml"), "utf8");
  const section = manifest.split(/^\[workspace\.package\]$/m)[1] ?? "";
  const match = section.split(/^\[/m)[0].match(/^version\s*=\s*"([^"]+)"/m);
  if (!match) {
    fail("no version in [workspace.package] of Cargo.toml");
  }
  return match[1];
}

/** The launcher's manifest, checked against the cargo version and the platform table. */
function launcherManifest(version) {
  const manifest = JSON.parse(fs.readFileSync(path.join(launcherDir, "package.json"), "utf8"));
  if (manifest.version !== version) {
    fail(`npm/nestlint/package.json has version ${manifest.version}, Cargo.toml ${version}`);
  }
  const optional = manifest.optionalDependencies ?? {};
  const expected = Object.fromEntries(platforms.map((p) => [p.package, version]));
  if (JSON.stringify(Object.entries(optional).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
    fail("the launcher's optionalDependencies are not platforms.json's packages at the cargo version");
  }
  return manifest;
}

function hostLibc() {
  if (process.platform !== "linux") {
    return undefined;
  }
  const report = process.report.getReport();
  return report.header.glibcVersionRuntime ? "glibc" : "musl";
}

/** `npm pack` of a staged directory into `out`; returns the tarball's path. */
function npmPack(stage, out) {
  const printed = execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
    cwd: stage,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return path.join(out, JSON.parse(printed)[0].filename);
}

function stageDir(out, name) {
  const dir = path.join(out, "stage", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function packLauncher(version, out) {
  launcherManifest(version);
  const stage = stageDir(out, "nestlint");
  for (const file of ["package.json", "platforms.json", "README.md"]) {
    fs.copyFileSync(path.join(launcherDir, file), path.join(stage, file));
  }
  fs.mkdirSync(path.join(stage, "bin"));
  fs.copyFileSync(path.join(launcherDir, "bin", "nestlint"), path.join(stage, "bin", "nestlint"));
  fs.chmodSync(path.join(stage, "bin", "nestlint"), 0o755);
  fs.copyFileSync(path.join(repo, "LICENSE"), path.join(stage, "LICENSE"));
  return npmPack(stage, out);
}

function packPlatform(version, platform, binary, out) {
  launcherManifest(version);
  if (!binary || !fs.existsSync(binary)) {
    fail(`--binary ${binary ?? "(missing)"} is not a file`);
  }
  const name = platform.os === "win32" ? "nestlint.exe" : "nestlint";
  const stage = stageDir(out, platform.package.replace("@nestlint/", ""));
  const label = `${platform.os} ${platform.cpu}${platform.libc ? ` (${platform.libc})` : ""}`;
  const manifest = {
    name: platform.package,
    version,
    description: `The nestlint binary for ${label}; installed by the nestlint package`,
    homepage: "https://github.com/nestlint/nestlint#readme",
    repository: { type: "git", url: "git+https://github.com/nestlint/nestlint.git" },
    license: "MIT",
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc ? { libc: [platform.libc] } : {}),
    files: [name, "README.md", "LICENSE"],
    preferUnplugged: true,
  };
  fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(
    path.join(stage, "README.md"),
    `# ${platform.package}\n\nThe nestlint binary for ${label} (Rust target \`${platform.target}\`).\n` +
      "Install the `nestlint` package instead: it picks this one where it fits.\n",
  );
  fs.copyFileSync(path.join(repo, "LICENSE"), path.join(stage, "LICENSE"));
  fs.copyFileSync(binary, path.join(stage, name));
  fs.chmodSync(path.join(stage, name), 0o755);
  return npmPack(stage, out);
}

const options = parseArgs(process.argv.slice(2));
const version = cargoVersion();
const out = path.resolve(options.out);
fs.mkdirSync(out, { recursive: true });
const tarballs = [];
switch (options.command) {
  case "launcher":
    tarballs.push(packLauncher(version, out));
    break;
  case "platform": {
    const platform = platforms.find((p) => p.target === options.target);
    if (!platform) {
      fail(`--target ${options.target} is not in npm/nestlint/platforms.json`);
    }
    tarballs.push(packPlatform(version, platform, options.binary, out));
    break;
  }
  case "host": {
    const libc = hostLibc();
    const platform = platforms.find(
      (p) => p.os === process.platform && p.cpu === process.arch && p.libc === libc,
    );
    if (!platform) {
      fail(`no platform package for ${process.platform}-${process.arch}${libc ? `-${libc}` : ""}`);
    }
    tarballs.push(packLauncher(version, out), packPlatform(version, platform, options.binary, out));
    break;
  }
  default:
    fail("usage: node npm/pack.mjs <launcher|platform|host> [--target T] [--binary PATH] [--out DIR]");
}
fs.rmSync(path.join(out, "stage"), { recursive: true, force: true });
process.stdout.write(`${tarballs.join("\n")}\n`);
