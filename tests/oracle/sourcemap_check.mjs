// Checks a bundle's source map with Node's own decoder: every "@@name" marker string in the
// bundle must map to the spot where the same marker is written in its source (line and UTF-16
// column). Prints "checked N" and one line per problem. Test oracle only.
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";

const [bundlePath, mapPath] = process.argv.slice(2);
const payload = JSON.parse(readFileSync(mapPath, "utf8"));
const map = new SourceMap(payload);
const marker = /(["'`])@@(\w+)\1/g;

function whereWritten(name) {
  const found = [];
  payload.sources.forEach((source, i) => {
    (payload.sourcesContent[i] ?? "").split("\n").forEach((text, line) => {
      for (const m of text.matchAll(marker)) if (m[2] === name) found.push({ source, line, column: m.index });
    });
  });
  return found;
}

const problems = [];
let checked = 0;
readFileSync(bundlePath, "utf8").split("\n").forEach((text, line) => {
  for (const m of text.matchAll(marker)) {
    checked++;
    const want = whereWritten(m[2]);
    const got = map.findEntry(line, m.index);
    if (want.length !== 1) problems.push(`${m[2]}: written ${want.length} times in the sources`);
    else if (got.generatedLine !== line || got.generatedColumn !== m.index) problems.push(`${m[2]}: no mapping starts at ${line}:${m.index} (nearest ${JSON.stringify(got)})`);
    else if (!got.originalSource.endsWith(want[0].source) || got.originalLine !== want[0].line || got.originalColumn !== want[0].column)
      problems.push(`${m[2]}: maps to ${got.originalSource}:${got.originalLine}:${got.originalColumn}, written at ${want[0].source}:${want[0].line}:${want[0].column}`);
  }
});
console.log(`checked ${checked}`);
for (const p of problems) console.log(p);
