/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ with declarations), the
 * tarball unpacked into a temporary project's node_modules with its production dependencies (taken
 * from this checkout's node_modules, so the test runs offline), then a plain JavaScript consumer
 * imports `.`, `./testing` and `./facade` and runs jobs (one on the worker-thread executor, which
 * must load the built JavaScript), and a TypeScript consumer is type-checked against the built
 * declarations. Prints the tarball's and the production install's size (without the optional peer
 * dependencies: the drivers and the worker executor's `@effect/platform-node`, which the worker
 * consumer installs as a user would).
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const ROOT = path.resolve(import.meta.dirname, "../..")
const NODE_MODULES = path.join(ROOT, "node_modules")

/** The worker-thread executor's optional peer dependency (not part of the production install). */
const WORKER_PEER = "@effect/platform-node"

let project = ""
let tarball = ""

/**
 * Runs a command and gives its stdout. Asynchronously: a synchronous one blocks the test worker's
 * event loop (npm pack and tsc take tens of seconds), and vitest's worker then times out on its
 * own progress reports (`Timeout calling "onTaskUpdate"`).
 */
const run = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<string> =>
  (await promisify(execFile)(command, args, { cwd, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 })).stdout

/** The size of a directory tree in bytes (links followed once: each real directory counted once). */
const treeSize = (dir: string, seen: Set<string>): number => {
  const real = fs.realpathSync(dir)
  if (seen.has(real)) return 0
  seen.add(real)
  let total = 0
  for (const entry of fs.readdirSync(real, { withFileTypes: true })) {
    const full = path.join(real, entry.name)
    if (entry.isDirectory()) total += treeSize(full, seen)
    else if (entry.isFile()) total += fs.statSync(full).size
  }
  return total
}

/** Where `name` resolves from a package directory: its own node_modules, then the root's. */
const locate = (name: string, from: string): string | undefined => {
  for (const candidate of [path.join(from, "node_modules", name), path.join(NODE_MODULES, name)]) {
    if (fs.existsSync(path.join(candidate, "package.json"))) return fs.realpathSync(candidate)
  }
  return undefined
}

/**
 * The production dependency closure of a package directory: dependencies, and the optional ones
 * that are installed; top-level names (to link into the project) and every directory (for the size).
 */
const closure = (pkgDir: string) => {
  const top = new Set<string>()
  const dirs = new Set<string>()
  const visit = (dir: string, isTop: boolean) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    const names = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]
    for (const name of names) {
      const found = locate(name, dir)
      if (found === undefined) {
        if (manifest.optionalDependencies?.[name] !== undefined) continue
        throw new Error(`dependency ${name} of ${dir} is not installed`)
      }
      if (isTop || found === fs.realpathSync(path.join(NODE_MODULES, name))) top.add(name)
      if (dirs.has(found)) continue
      dirs.add(found)
      visit(found, false)
    }
  }
  visit(pkgDir, true)
  return { top, dirs }
}

beforeAll(async () => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "eas-pack-"))
  const packed = JSON.parse(await run("npm", ["pack", "--json", "--pack-destination", project], ROOT)) as Array<{ filename: string }>
  tarball = path.join(project, packed[0]!.filename)
  const installed = path.join(project, "node_modules", "effect-apscheduler")
  fs.mkdirSync(installed, { recursive: true })
  await run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], project)
  const link = (name: string) => {
    const at = path.join(project, "node_modules", name)
    if (fs.existsSync(at)) return
    fs.mkdirSync(path.dirname(at), { recursive: true })
    fs.symlinkSync(fs.realpathSync(path.join(NODE_MODULES, name)), at, "dir")
  }
  for (const name of closure(installed).top) link(name)
  // the optional peer dependency a user of the worker-thread executor installs with the package
  link(WORKER_PEER)
  for (const name of closure(fs.realpathSync(path.join(NODE_MODULES, WORKER_PEER))).top) link(name)
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
}, 180_000)

afterAll(() => {
  if (project !== "") fs.rmSync(project, { recursive: true, force: true })
})

describe("the packed npm package", () => {
  it("ships the built JavaScript, its declarations and the README, and no sources or tests", async () => {
    const files = (await run("tar", ["-tzf", tarball], project)).split("\n").filter((f) => f !== "")
    expect(files).toContain("package/dist/index.js")
    expect(files).toContain("package/dist/index.d.ts")
    expect(files).toContain("package/dist/executors/internal/workerMain.js")
    expect(files).toContain("package/README.md")
    expect(files.filter((f) => /^package\/(src|test|bench|examples)\//.test(f) || /\.ts$/.test(f) && !/\.d\.ts$/.test(f)))
      .toEqual([])
    const manifest = JSON.parse(fs.readFileSync(path.join(project, "node_modules", "effect-apscheduler", "package.json"), "utf8"))
    expect(manifest.dependencies[WORKER_PEER]).toBeUndefined()
    expect(manifest.peerDependenciesMeta[WORKER_PEER]).toEqual({ optional: true })
    const installed = path.join(project, "node_modules", "effect-apscheduler")
    const { dirs } = closure(installed)
    const seen = new Set<string>()
    const bytes = treeSize(installed, seen) + [...dirs].reduce((sum, dir) => sum + treeSize(dir, seen), 0)
    console.log(
      `package: tarball ${(fs.statSync(tarball).size / 1024).toFixed(0)} KiB; production install ` +
        `${(bytes / 1024 / 1024).toFixed(1)} MiB (${dirs.size} dependencies)`
    )
  })

  it("a plain JavaScript program imports '.', './testing' and './facade' and runs jobs, one in a worker thread", async () => {
    fs.writeFileSync(path.join(project, "tasks.mjs"), "export const double = (n) => n * 2\n")
    fs.writeFileSync(
      path.join(project, "main.mjs"),
      `
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import { Scheduler, SchedulerEvent, TestScheduler as FromRoot, JobLookupError } from "effect-apscheduler"
import * as TestScheduler from "effect-apscheduler/testing"
import { BackgroundScheduler } from "effect-apscheduler/facade"

const out = {}
// the Effect API with the time-travelling test scheduler
out.testing = await Effect.runPromise(Effect.gen(function*() {
  const scheduler = yield* Scheduler.Scheduler
  yield* scheduler.addJob(() => "tick", { id: "t", trigger: "interval", triggerArgs: { seconds: 10 } })
  const events = yield* TestScheduler.advance("30 seconds")
  return TestScheduler.executed(events).length
}).pipe(Effect.provide(TestScheduler.layer()), Effect.scoped, Effect.provide(TestContext.TestContext)))
out.sameModule = FromRoot.layer === TestScheduler.layer
// the promise facade, with a worker-thread executor running a task reference
const scheduler = new BackgroundScheduler(
  { timezone: "UTC", executors: { processpool: { type: "processpool", max_workers: 1 } } },
  { allowImports: true }
)
const results = []
const done = new Promise((resolve) => {
  scheduler.addListener((event) => {
    results.push(event.retval ?? event.exception?.message)
    resolve()
  }, SchedulerEvent.JOB_EXECUTED | SchedulerEvent.JOB_ERROR)
})
await scheduler.addJob("./tasks.mjs:double", undefined, { id: "w", executor: "processpool", args: [21] })
await scheduler.start()
await done
out.worker = results
out.lookup = await scheduler.removeJob("nope").catch((e) => e instanceof JobLookupError)
await scheduler.shutdown()
console.log(JSON.stringify(out))
`
    )
    const output = JSON.parse((await run(process.execPath, ["main.mjs"], project)).trim().split("\n").pop()!)
    expect(output).toEqual({ testing: 3, sameModule: true, worker: [42], lookup: true })
  }, 60_000)

  it("a TypeScript program type-checks against the built declarations, and its mistakes do not", async () => {
    fs.writeFileSync(
      path.join(project, "main.ts"),
      `
import { Scheduler, SchedulerConfig } from "effect-apscheduler"
import * as TestScheduler from "effect-apscheduler/testing"
import { BackgroundScheduler, type Job } from "effect-apscheduler/facade"

export const layer = Scheduler.layer({ timezone: "UTC", job_defaults: { max_instances: 2 } })
export const flat = Scheduler.layer(SchedulerConfig.flat({ "apscheduler.timezone": "UTC" }))
export const test = TestScheduler.layer()
const scheduler = new BackgroundScheduler()
export const job: Promise<Job> = scheduler.addJob(() => 1, "cron", { day_of_week: "mon-fri", hour: 9, id: "report" })
// @ts-expect-error \`hourr\` is not a cron field
export const typo = scheduler.addJob(() => 1, "cron", { hourr: 9 })
// @ts-expect-error \`timeZone\` is not an option
export const bad = Scheduler.layer({ timeZone: "UTC" })
`
    )
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: []
        },
        files: ["main.ts"]
      })
    )
    // tsc prints its errors on stdout and exits 2: the failed command's output is the message
    let output = ""
    try {
      output = await run(process.execPath, [path.join(NODE_MODULES, "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project)
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e)
    }
    expect(output).toBe("")
  }, 60_000)
})
