/**
 * BENCH startup: the cost of importing the built package (`dist/index.js`, as a user's
 * `import … from "effect-apscheduler"` loads it) in a fresh Node process, against importing
 * `effect/Effect` alone: the import's wall time and the process's resident memory after it,
 * medians of `STARTUP_ROUNDS` rounds (default 7; the two kinds alternate, so a busy machine slows
 * both alike). Target (issue 12): `import_ms` within 1.5× of `effect_only_ms`. `schema_only_ms`:
 * importing `effect/Schema` alone, which every module of ours needs (errors and specs are Schema
 * classes) and which loads `fast-check` (223 of the ~560 files the package loads; Schema's
 * arbitraries): the floor of any import of the package. Builds `dist` first
 * when it is missing (`npm run build`). Also prints the subpaths `./testing` and `./facade`.
 */
import { execSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

const root = path.resolve(import.meta.dirname, "..")
const dist = path.join(root, "dist", "index.js")
if (!fs.existsSync(dist)) execSync("npm run build", { cwd: root, stdio: ["ignore", "ignore", "inherit"] })
const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 7)

/** One fresh process importing `specifier`: its import time (ms) and resident memory after it (bytes). */
const measure = (specifier: string): { readonly ms: number; readonly rss: number } => {
  const code = `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); ` +
    `console.log(JSON.stringify({ ms: performance.now() - t0, rss: process.memoryUsage().rss }))`
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`importing ${specifier} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").pop()!)
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const targets = {
  effect: "effect/Effect",
  schema: "effect/Schema",
  index: pathToFileURL(dist).href,
  testing: pathToFileURL(path.join(root, "dist", "testing", "TestScheduler.js")).href,
  facade: pathToFileURL(path.join(root, "dist", "facade", "BackgroundScheduler.js")).href
}
const samples: Record<keyof typeof targets, Array<{ readonly ms: number; readonly rss: number }>> = {
  effect: [],
  schema: [],
  index: [],
  testing: [],
  facade: []
}
measure(targets.effect) // warms the file system cache
for (let i = 0; i < ROUNDS; i++) {
  for (const key of Object.keys(targets) as Array<keyof typeof targets>) samples[key].push(measure(targets[key]))
}
const ms = (key: keyof typeof targets) => median(samples[key].map((s) => s.ms))
const mib = (key: keyof typeof targets) => median(samples[key].map((s) => s.rss)) / 1048576
console.log(
  `BENCH startup import_ms=${ms("index").toFixed(0)} rss_mib=${mib("index").toFixed(0)} effect_only_ms=${ms("effect").toFixed(0)} ` +
    `effect_only_rss_mib=${mib("effect").toFixed(0)} ratio=${(ms("index") / ms("effect")).toFixed(2)} ` +
    `schema_only_ms=${ms("schema").toFixed(0)} ratio_to_schema=${(ms("index") / ms("schema")).toFixed(2)} rounds=${ROUNDS}`
)
console.log(
  `BENCH startup subpaths testing_ms=${ms("testing").toFixed(0)} facade_ms=${ms("facade").toFixed(0)} facade_rss_mib=${mib("facade").toFixed(0)}`
)
