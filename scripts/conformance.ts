/**
 * `npm run conformance -- DIR`: runs every APScheduler conformance vector file found in DIR
 * (default: test/fixtures/conformance), prints each failing case with expected and actual
 * values, and ends with `conformance: N passed, M failed, K skipped`. Exit code 1 when M > 0.
 */
import { runDir } from "../test/conformance/runner.js"

const dir = process.argv[2] ?? "test/fixtures/conformance"
const outcomes = runDir(dir)
let passed = 0
let failed = 0
let skipped = 0
for (const o of outcomes) {
  if (o.status === "passed") passed++
  else if (o.status === "skipped") {
    skipped++
    if (o.reason.includes("differs on purpose")) console.log(`SKIP ${o.file}/${o.id}: ${o.reason}`)
  }
  else {
    failed++
    console.log(`FAIL ${o.file}/${o.id}\n  expected: ${JSON.stringify(o.expected)}\n  actual:   ${JSON.stringify(o.actual)}`)
  }
}
if (outcomes.length === 0) console.log(`no vector files found in ${dir}`)
console.log(`conformance: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exitCode = failed > 0 || outcomes.length === 0 ? 1 : 0
