/**
 * `npm run bench`: runs every benchmark in bench/ in its own process (with --expose-gc) and
 * prints their `BENCH …` summary lines. Figures are printed, never asserted.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const dir = import.meta.dirname
const only = process.argv.slice(2)
const files = fs.readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
const lines: Array<string> = []
for (const file of files) {
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", path.join(dir, file)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 10 * 60_000
  })
  process.stdout.write(r.stdout)
  for (const line of r.stdout.split("\n")) if (line.startsWith("BENCH ")) lines.push(line)
  if (r.status !== 0) lines.push(`BENCH ${file} failed status=${r.status}`)
}
console.log("\nSummary:")
for (const line of lines) console.log(line)
