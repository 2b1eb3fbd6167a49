/**
 * ARCHITECTURE §1 / STYLE: the pure core (src/triggers, src/planning) imports only Schema, Either,
 * Option, Data (and ParseResult for error paths), luxon and cron-parser; it never reads a clock,
 * draws a random number or touches the Effect runtime.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..", "src")
const files = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []
  )

const ALLOWED_PACKAGES = new Set(["effect/Schema", "effect/Either", "effect/Option", "effect/Data", "effect/ParseResult", "luxon", "cron-parser"])
const FORBIDDEN_CALLS = [/\bDate\.now\(/, /\bMath\.random\(/, /\bsetTimeout\(/, /\bsetInterval\(/, /\bnew Date\(\)/, /\bperformance\.now\(/]

describe("pure core", () => {
  const core = [...files(path.join(root, "triggers")), ...files(path.join(root, "planning"))]

  it("has files to check", () => {
    expect(core.length).toBeGreaterThan(5)
  })

  for (const file of core) {
    const rel = path.relative(root, file)
    it(`${rel} imports only pure modules and reads no clock or randomness`, () => {
      const text = fs.readFileSync(file, "utf8")
      const imports = [...text.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]!)
      for (const spec of imports) {
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(file), spec)
          const inCore = target.startsWith(path.join(root, "triggers")) || target.startsWith(path.join(root, "planning")) ||
            target === path.join(root, "errors.js")
          expect(inCore, `${rel} imports ${spec}`).toBe(true)
        } else {
          expect(ALLOWED_PACKAGES.has(spec), `${rel} imports ${spec}`).toBe(true)
        }
      }
      for (const pattern of FORBIDDEN_CALLS) expect(pattern.test(text), `${rel} uses ${pattern}`).toBe(false)
    })
  }
})
