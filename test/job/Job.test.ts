import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import * as TaskRegistry from "../../src/job/TaskRegistry.js"
import { compile, unsafeCompile } from "../../src/triggers/compile.js"

const trigger = unsafeCompile({ type: "cron", hour: "9", timezone: "UTC" })

describe("Job", () => {
  it("make fills APScheduler's defaults", () => {
    const job = Job.make({ id: "a", task: function report() {}, trigger, nextRunTime: null })
    expect(job).toMatchObject({
      name: "report",
      args: [],
      kwargs: {},
      executor: "default",
      jobstore: "default",
      misfireGraceTime: 1,
      coalesce: true,
      maxInstances: 1
    })
    expect(Job.isPaused(job)).toBe(true)
    expect(Job.describe(job)).toBe(`report (trigger: ${trigger.toString()}, paused)`)
  })

  it("encodes to a versioned JSON record and back (task references only)", () => {
    const job = Job.make({
      id: "a",
      task: TaskRef.make("./tasks.js:report"),
      args: [1, { deep: ["x"] }],
      kwargs: { to: "me" },
      trigger,
      nextRunTime: 1000
    })
    const record = Either.getOrThrow(Job.toRecord(job))
    expect(Schema.decodeUnknownSync(Job.JobRecord)(JSON.parse(JSON.stringify(record)))).toEqual(record)
    expect(record).not.toHaveProperty("nextRunTime") // a store keeps it in a column of its own
    const back = Either.getOrThrow(Job.fromRecord(record, compile, 1000))
    expect(back.trigger).toBe(trigger) // interned
    expect({ ...back, task: String(back.task) }).toEqual({ ...job, task: String(job.task) })
  })

  it("refuses functions and non-JSON arguments for records", () => {
    const fn = Job.make({ id: "a", task: () => 1, trigger, nextRunTime: 0 })
    expect(Either.getLeft(Job.toRecord(fn))).toMatchObject({ _tag: "Some", value: { field: "task" } })
    const ref = TaskRef.make("t")
    for (const args of [[new Date()], [() => 1], [undefined], [NaN], [1n]]) {
      expect(Either.isLeft(Job.toRecord(Job.make({ id: "a", task: ref, trigger, nextRunTime: 0, args })))).toBe(true)
    }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(Job.isJsonEncodable(cyclic)).toBe(false)
    expect(Job.isJsonEncodable({ a: [1, "b", null, true, { c: 2 }] })).toBe(true)
  })

  it("the refusal names the job and the argument's path, and says what is not JSON there", () => {
    const ref = TaskRef.make("t")
    const refusal = (args: Array<unknown>, kwargs: Record<string, unknown> = {}) =>
      Either.getLeft(Job.toRecord(Job.make({ id: "report", task: ref, trigger, nextRunTime: 0, args, kwargs })))
    expect(refusal([1, { when: new Date() }])).toMatchObject({
      _tag: "Some",
      value: { field: "args[1].when", reason: expect.stringContaining("job \"report\": a Date instance") }
    })
    expect(refusal([], { "to-do": [() => 1] })).toMatchObject({
      _tag: "Some",
      value: { field: "kwargs[\"to-do\"][0]", reason: expect.stringContaining("a function") }
    })
    expect(refusal([10n])).toMatchObject({ _tag: "Some", value: { field: "args[0]", reason: expect.stringContaining("a BigInt") } })
    const cycle: Array<unknown> = []
    cycle.push(cycle)
    expect(refusal([cycle])).toMatchObject({ _tag: "Some", value: { field: "args[0][0]", reason: expect.stringContaining("a cycle") } })
    // the same object twice is not a cycle
    const shared = { a: 1 }
    expect(Either.isRight(Job.toRecord(Job.make({ id: "ok", task: ref, trigger, nextRunTime: 0, args: [shared, shared] }))))
      .toBe(true)
  })
})

describe("TaskRef / TaskRegistry", () => {
  it("parses module references", () => {
    expect(TaskRef.parseModuleRef("./tasks.js:report")).toEqual({ module: "./tasks.js", exportName: "report" })
    expect(TaskRef.parseModuleRef("report")).toBeUndefined()
    expect(TaskRef.parseModuleRef("C:\\tasks")).toBeUndefined()
  })

  it.effect("resolves registered names; module references only when allowed", () =>
    Effect.gen(function*() {
      const registry = yield* TaskRegistry.make({ tasks: { hello: () => "hi" } })
      expect((yield* registry.resolve("hello"))()).toBe("hi")
      expect((yield* Effect.flip(registry.resolve("nope")))._tag).toBe("TaskLookupError")
      const refused = yield* Effect.flip(registry.resolve("./test/executors/fixtures/tasks.ts:fib"))
      expect(refused.reason).toContain("allowImports")
      const open = yield* TaskRegistry.make({ allowImports: true })
      const fib = yield* open.resolve(TaskRef.make(`${process.cwd()}/test/executors/fixtures/tasks.ts:fib`))
      expect(fib(10)).toBe(55)
      // a relative path is read from the working directory, as worker threads read it
      expect((yield* open.resolve("./test/executors/fixtures/tasks.ts:fib"))(11)).toBe(89)
      expect((yield* Effect.flip(open.resolve(`${process.cwd()}/test/executors/fixtures/tasks.ts:nothing`))).reason)
        .toContain("no function export")
    }))

  it.effect("lookup: a registered name at once; a module reference only once resolve has imported it; never one that does not resolve", () =>
    Effect.gen(function*() {
      const fixture = `${process.cwd()}/test/executors/fixtures/tasks.ts`
      const closed = yield* TaskRegistry.make({ tasks: { hello: () => "hi" } })
      expect(closed.lookup("hello")?.()).toBe("hi")
      expect(closed.lookup(TaskRef.make("hello"))?.()).toBe("hi")
      expect(closed.lookup("nope")).toBeUndefined()
      yield* closed.register("nope", () => "now")
      expect(closed.lookup("nope")?.()).toBe("now")
      // imports off: resolve refuses, lookup knows nothing
      yield* Effect.flip(closed.resolve(`${fixture}:fib`))
      expect(closed.lookup(`${fixture}:fib`)).toBeUndefined()
      const open = yield* TaskRegistry.make({ allowImports: true })
      expect(open.lookup(`${fixture}:fib`)).toBeUndefined()
      const fib = yield* open.resolve(`${fixture}:fib`)
      expect(open.lookup(`${fixture}:fib`)).toBe(fib)
      expect(open.lookup(TaskRef.make(`${fixture}:fib`))?.(10)).toBe(55)
      // the module is imported; a missing export still resolves to nothing, with its error
      expect(open.lookup(`${fixture}:nothing`)).toBeUndefined()
      expect((yield* Effect.flip(open.resolve(`${fixture}:nothing`))).reason).toContain("no function export 'nothing'")
      expect(open.lookup(`${fixture}:nothing`)).toBeUndefined()
      // another export of the imported module is known only once resolved itself
      expect(open.lookup(`${fixture}:whoAmI`)).toBeUndefined()
      // a registered name wins over an imported module reference of the same text, as in resolve
      yield* open.register(`${fixture}:fib`, () => "registered")
      expect(open.lookup(`${fixture}:fib`)?.()).toBe("registered")
      expect((yield* open.resolve(`${fixture}:fib`))()).toBe("registered")
    }))
})
