/**
 * BENCH compile-nested: `compile` of an `and`/`or` spec nested 500 levels deep (alternating `and`
 * and `or`, each level with a cron trigger of its own, one of 60, and the next level). The
 * innermost trigger is new in every round, so no round finds any of its 500 `and`/`or` levels
 * interned: the cost must grow with the spec's size, not with its depth squared.
 */
import * as Either from "effect/Either"
import { compile } from "../src/triggers/compile.js"

const DEPTH = 500

/** A spec nested `DEPTH` levels deep whose triggers are unique to `round`. */
const nested = (round: number): unknown => {
  let spec: unknown = { type: "interval", seconds: round * 10_000 + DEPTH + 1, timezone: "UTC" }
  for (let level = DEPTH; level >= 1; level--) {
    const own = { type: "cron", minute: level % 60, timezone: "UTC" }
    spec = { type: level % 2 === 0 ? "and" : "or", triggers: [own, spec] }
  }
  return spec
}

// `npm run bench` runs each file with --expose-gc: collect the garbage of earlier rounds first, so
// that a round measures its own compile (not a collection of another round's triggers)
const gc = (globalThis as { gc?: () => void }).gc

const run = (round: number) => {
  const spec = nested(round)
  gc?.()
  const start = performance.now()
  const result = compile(spec)
  const ms = performance.now() - start
  if (Either.isLeft(result)) throw new Error(`compile failed: ${result.left.message}`)
  return ms
}

for (let round = 0; round < 10; round++) run(round) // warm-up
const rounds = 20
let total = 0
for (let round = 10; round < 10 + rounds; round++) total += run(round)
console.log(`BENCH compile-nested depth=${DEPTH} ms=${(total / rounds).toFixed(2)}`)
