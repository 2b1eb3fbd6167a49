/**
 * The examples README lists run as they are (each in its own process, as a user runs them).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..", "..")
const run = (file: string, env: Record<string, string> = {}, args: ReadonlyArray<string> = []) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(root, "examples", file), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env }
  })

// main.ts keeps its jobs in a SQLite file: here one in a temporary directory, never the repo's data/
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-example-"))
const db = path.join(dir, "jobs.sqlite")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("examples", () => {
  it("main.ts (npm start) adds its jobs to a new SQLite file, runs them on the live clock and shuts down", () => {
    const r = run("main.ts", { EXAMPLE_DB: db })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`no jobs in ${db} yet: adding 3`)
    expect(r.stdout).toContain("one-off date job ran")
    expect(r.stdout).toMatch(/done: the interval job ran [2-4] times/)
    expect(r.stdout).toContain("cron[day_of_week='mon-fri', hour='9', minute='30'] fires at")
    expect(r.stdout).toContain(`2 jobs stay in ${db}`)
  })

  it("main.ts started again restores the 2 jobs left in the file and runs them; --fresh starts afresh", () => {
    const again = run("main.ts", { EXAMPLE_DB: db })
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toContain(`restored 2 jobs from ${db}: even, tick`)
    expect(again.stdout).not.toContain("adding 3")
    expect(again.stdout).not.toContain("one-off date job ran") // it ran in the first run and is gone
    expect(again.stdout).toMatch(/done: the interval job ran [2-5] times/)
    const fresh = run("main.ts", { EXAMPLE_DB: db }, ["--fresh"])
    expect(fresh.status, fresh.stderr).toBe(0)
    expect(fresh.stdout).toContain(`starting afresh: removed ${db}`)
    expect(fresh.stdout).toContain(`no jobs in ${db} yet: adding 3`)
  })

  it("scheduler-testclock.ts time-travels a month", () => {
    const r = run("scheduler-testclock.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("23 reports in January 2024:")
    expect(r.stdout).toContain("2024-01-31T09:00:00.000Z")
  })
})
