/**
 * The examples README lists run as they are (each in its own process, as a user runs them).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = path.join(import.meta.dirname, "..", "..")

/**
 * Runs an example in its own process. Asynchronously: a synchronous spawn blocks the test worker's
 * event loop for the whole file (a minute and more), and vitest's worker then times out on its
 * own progress reports (`Timeout calling "onTaskUpdate"`).
 */
const run = (file: string, env: Record<string, string> = {}, args: ReadonlyArray<string> = []) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "examples", file), ...args], {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (status) => resolve({ status, stdout, stderr }))
  })

// main.ts keeps its jobs in a SQLite file: here one in a temporary directory, never the repo's data/
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-example-"))
const db = path.join(dir, "jobs.sqlite")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("examples", () => {
  it("main.ts (npm start) adds its jobs to a new SQLite file, runs them on the live clock and shuts down", async () => {
    const r = await run("main.ts", { EXAMPLE_DB: db })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain(`no jobs in ${db} yet: adding 3`)
    expect(r.stdout).toContain("one-off date job ran")
    expect(r.stdout).toMatch(/done: the interval job ran [2-4] times/)
    expect(r.stdout).toContain("cron[day_of_week='mon-fri', hour='9', minute='30'] fires at")
    expect(r.stdout).toContain(`2 jobs stay in ${db}`)
  })

  it("main.ts started again restores the 2 jobs left in the file and runs them; --fresh starts afresh", async () => {
    const again = await run("main.ts", { EXAMPLE_DB: db })
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toContain(`restored 2 jobs from ${db}: even, tick`)
    expect(again.stdout).not.toContain("adding 3")
    expect(again.stdout).not.toContain("one-off date job ran") // it ran in the first run and is gone
    expect(again.stdout).toMatch(/done: the interval job ran [2-5] times/)
    const fresh = await run("main.ts", { EXAMPLE_DB: db }, ["--fresh"])
    expect(fresh.status, fresh.stderr).toBe(0)
    expect(fresh.stdout).toContain(`starting afresh: removed ${db}`)
    expect(fresh.stdout).toContain(`no jobs in ${db} yet: adding 3`)
  })

  it("interval.ts runs an interval job three times, then shuts down", async () => {
    const r = await run("interval.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("tick 1\ntick 2\ntick 3\n")
    expect(r.stdout).toContain("interval example done after 3 ticks")
  }, 150_000)

  it("cron.ts runs a cron job on two seconds and prints a weekday job's next three times", async () => {
    const r = await run("cron.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("added every-second: cron[second='*']")
    const seconds = [...r.stdout.matchAll(/cron run \d at second (\d+)/g)].map((m) => Number(m[1]))
    expect(seconds).toHaveLength(2)
    expect((seconds[1]! - seconds[0]! + 60) % 60).toBeGreaterThanOrEqual(1) // one second apart, or more on a busy machine
    expect(r.stdout).toContain("cron[day_of_week='mon-fri', hour='9', minute='30'] fires at 2024-01-05T14:30:00.000Z")
    expect(r.stdout).toContain("fires at 2024-01-09T14:30:00.000Z")
  }, 150_000)

  it("date.ts runs a one-off job once, and the job is gone after", async () => {
    const r = await run("date.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("jobs before the run: once\ndate job ran: hello\njobs after the run: 0")
  }, 150_000)

  it("run-now.ts runs a job without a trigger at once, and a daily job now that keeps its schedule", async () => {
    const r = await run("run-now.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("ran once, now (no trigger)")
    expect(r.stdout).toContain("daily report ran now")
    expect(r.stdout).toContain("daily-report next runs at 06:00:00 UTC")
  }, 150_000)

  it("configuration.ts configures two stores, two executors and job defaults in each of the three ways", async () => {
    const r = await run("configuration.ts")
    expect(r.status, r.stderr).toBe(0)
    for (const method of ["1. config object", "2. flat dictionary", "3. configure()"]) {
      expect(r.stdout).toContain(`${method}: job "in-memory" in store default, coalesce=false, maxInstances=3`)
      expect(r.stdout).toContain(`${method}: job "stored" in store sqlite, executor processpool`)
    }
  }, 150_000)

  it("listeners.ts: a masked listener hears one run succeed and one fail; an EVENT_ALL listener hears the rest", async () => {
    const r = await run("listeners.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("listener: job answer returned 42")
    expect(r.stdout).toContain("listener: job broken failed: disk full")
    const seen = /every event seen: (.*)/.exec(r.stdout)?.[1]?.split(", ")
    expect(seen).toEqual(expect.arrayContaining(["JobAdded", "JobError", "JobExecuted", "JobSubmitted", "SchedulerStarted"]))
  }, 150_000)

  it("worker-threads.ts computes two jobs in worker threads from a task reference", async () => {
    const r = await run("worker-threads.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("fib-25 = 75025 (computed in a worker thread)\nfib-27 = 196418 (computed in a worker thread)")
  }, 150_000)

  it("effect-program.ts composes the scheduler layer, streams three results, and its scope shuts the scheduler down", async () => {
    const r = await run("effect-program.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("run returned: hello, effect\n".repeat(3))
    expect(r.stdout).toContain("state before the scope closes: running")
    expect(r.stdout).toContain("the scope closed: the scheduler has shut down")
  }, 150_000)

  it("scheduler-testclock.ts time-travels a month", async () => {
    const r = await run("scheduler-testclock.ts")
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain("23 reports in January 2024:")
    expect(r.stdout).toContain("2024-01-31T09:00:00.000Z")
  })
})
