/**
 * The examples README lists run as they are (each in its own process, as a user runs them).
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..", "..")
const run = (file: string) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(root, "examples", file)], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000
  })

describe("examples", () => {
  it("main.ts (npm start) runs its jobs on the live clock and shuts down", () => {
    const r = run("main.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("one-off date job ran")
    expect(r.stdout).toMatch(/done: the interval job ran [2-4] times/)
    expect(r.stdout).toContain("cron[day_of_week='mon-fri', hour='9', minute='30'] fires at")
  })

  it("scheduler-testclock.ts time-travels a month", () => {
    const r = run("scheduler-testclock.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("23 reports in January 2024:")
    expect(r.stdout).toContain("2024-01-31T09:00:00.000Z")
  })
})
