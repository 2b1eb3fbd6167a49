/**
 * FiberExecutor on its own (no scheduler, no store): every run's end reaches the sink once, the
 * worker bound, the run context, late starts, failures, shutdown with and without waiting.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as EventBus from "../../src/events/EventBus.js"
import type { SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import type { CompletionSink } from "../../src/executors/Executor.js"
import * as FiberExecutor from "../../src/executors/FiberExecutor.js"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import * as JobContext from "../../src/job/JobContext.js"
import * as TaskRegistry from "../../src/job/TaskRegistry.js"
import type { Completion, Run } from "../../src/stores/JobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { every } from "../testing/testTriggers.js"
import { ForkCounter } from "../support/forkCounter.js"

const T0 = Date.UTC(2024, 0, 1)


const setup = (maxWorkers: number, registry: TaskRegistry.TaskRegistryOptions = {}, counter?: ForkCounter) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const bus = yield* EventBus.make
    const events = yield* bus.subscribe
    const executor = yield* FiberExecutor.make({ maxWorkers }).pipe(
      Effect.provideService(EventBus.EventBus, bus),
      Effect.provideService(TaskRegistry.TaskRegistry, yield* TaskRegistry.make(registry)),
      counter === undefined ? (x) => x : Effect.supervised(counter)
    )
    const completions: Array<Completion> = []
    const sink: CompletionSink = { done: (_job, c) => void completions.push(c) }
    return { executor, events, completions, sink }
  })

/** A run as `release` hands it out. */
const run = (jobId: string, scheduledTime: number, fence: number): Run => ({
  jobId,
  scheduledTime,
  recordedAt: scheduledTime,
  state: "ready",
  fence,
  attempt: 1,
  acquiredBy: "me",
  acquiredUntil: null,
  startedAt: null,
  finishedAt: null,
  result: undefined,
  error: null,
  count: 1,
  lastTime: scheduledTime
})

const tags = (events: ReadonlyArray<SchedulerEvent>) => events.map((e) => `${e._tag} ${"jobId" in e ? e.jobId : ""}`)
const trigger = every(10, T0)
const job = (id: string, task: Job.Task, extra: Partial<Parameters<typeof Job.make>[0]> = {}) =>
  Job.make({ id, task, trigger, nextRunTime: T0, misfireGraceTime: null, ...extra })

describe("FiberExecutor", () => {
  it.scoped("reports every run's end to the sink once, with its fence, and publishes JobExecuted", () =>
    Effect.gen(function*() {
      const { completions, events, executor, sink } = yield* setup(10)
      const a = job("a", () => "A")
      const b = job("b", () => Effect.succeed("B"))
      yield* executor.submit([{ job: a, runs: [run("a", T0, 1), run("a", T0 + 1, 2)] }, { job: b, runs: [run("b", T0, 7)] }], sink)
      yield* TestScheduler.settle
      expect(completions.map((c) => [c.jobId, c.fence, c.state, c.result])).toEqual([
        ["a", 1, "succeeded", "A"],
        ["a", 2, "succeeded", "A"],
        ["b", 7, "succeeded", "B"]
      ])
      expect(tags(yield* TestScheduler.drain(events))).toEqual(["JobExecuted a", "JobExecuted a", "JobExecuted b"])
      expect(executor.pending()).toBe(0)
    }))

  it.scoped("runs at most maxWorkers asynchronous jobs at once, in submission order", () =>
    Effect.gen(function*() {
      const { executor, sink } = yield* setup(2)
      const started: Array<string> = []
      const batch = ["a", "b", "c", "d"].map((id) => ({
        job: job(id, () => Effect.zipRight(Effect.sync(() => started.push(id)), Effect.sleep("5 seconds"))),
        runs: [run(id, T0, 1)]
      }))
      yield* executor.submit(batch, sink)
      yield* TestScheduler.settle
      expect(started).toEqual(["a", "b"])
      yield* TestClock.adjust("5 seconds")
      yield* TestScheduler.settle
      expect(started).toEqual(["a", "b", "c", "d"])
    }))

  it.scoped("a run gets its context: plain, async (after await, bound too) and Effect jobs; a plain function returning a promise in its synchronous part", () =>
    Effect.gen(function*() {
      const { completions, executor, sink } = yield* setup(10)
      const seen: Array<unknown> = []
      const plain = job("plain", () => {
        const ctx = JobContext.current()!
        seen.push([ctx.jobId, ctx.fence, ctx.attempt, ctx.idempotencyKey, ctx.signal.aborted])
      })
      const promise = job("promise", async () => {
        await Promise.resolve()
        seen.push(JobContext.current()?.idempotencyKey)
      })
      const effect = job("effect", () => Effect.map(JobContext.JobContext, (ctx) => seen.push(ctx.fence)))
      // a plain function returning a promise: its context in its synchronous part, not in callbacks
      const thenable = job("thenable", () => {
        seen.push(`sync ${JobContext.current()?.jobId}`)
        return Promise.resolve().then(() => void seen.push(`then ${JobContext.current()?.jobId}`))
      })
      const bound = job("bound", (async function(this: unknown) {
        await Promise.resolve()
        seen.push(`bound ${JobContext.current()?.jobId}`)
      }).bind(null))
      yield* executor.submit([
        { job: plain, runs: [run("plain", T0, 3)] },
        { job: promise, runs: [run("promise", T0 + 1000, 4)] },
        { job: effect, runs: [run("effect", T0, 5)] },
        { job: thenable, runs: [run("thenable", T0, 6)] },
        { job: bound, runs: [run("bound", T0, 7)] }
      ], sink)
      yield* TestScheduler.settle
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* TestScheduler.settle
      expect(seen).toContainEqual(["plain", 3, 1, "plain@2024-01-01T00:00:00.000Z", false])
      expect(seen).toContain("promise@2024-01-01T00:00:01.000Z")
      expect(seen).toContain(5)
      expect(seen).toContain("sync thenable")
      expect(seen).toContain("then undefined")
      expect(seen).toContain("bound bound")
      expect(JobContext.current()).toBeUndefined()
      expect(completions.map((c) => c.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"])
    }))

  it.scoped("a run that starts later than its grace time ends missed (JobMissed), without running", () =>
    Effect.gen(function*() {
      const { completions, events, executor, sink } = yield* setup(1)
      let ran = 0
      const late = job("late", () => ran++, { misfireGraceTime: 1 })
      yield* executor.submit([{ job: late, runs: [run("late", T0 - 5000, 1), run("late", T0, 2)] }], sink)
      yield* TestScheduler.settle
      expect(ran).toBe(1)
      expect(completions.map((c) => [c.fence, c.state])).toEqual([[1, "missed"], [2, "succeeded"]])
      expect(tags(yield* TestScheduler.drain(events))).toEqual(["JobMissed late", "JobExecuted late"])
    }))

  it.scoped("a failing run ends failed with its error (JobError), the next run still runs", () =>
    Effect.gen(function*() {
      const { completions, events, executor, sink } = yield* setup(1)
      const boom = job("boom", () => {
        throw new Error("boom")
      })
      const ok = job("ok", () => Promise.resolve(1))
      yield* executor.submit([{ job: boom, runs: [run("boom", T0, 1)] }, { job: ok, runs: [run("ok", T0, 1)] }], sink)
      yield* TestScheduler.settle
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* TestScheduler.settle
      expect(completions.map((c) => [c.jobId, c.state])).toEqual([["boom", "failed"], ["ok", "succeeded"]])
      expect(completions[0]!.error).toContain("boom")
      expect(tags(yield* TestScheduler.drain(events))).toEqual(["JobError boom", "JobExecuted ok"])
    }))

  it.scoped("shutdown(true) waits for queued and running runs", () =>
    Effect.gen(function*() {
      const { completions, executor, sink } = yield* setup(1)
      const slow = (id: string) => job(id, () => Effect.sleep("5 seconds"))
      yield* executor.submit([{ job: slow("a"), runs: [run("a", T0, 1)] }, { job: slow("b"), runs: [run("b", T0, 1)] }], sink)
      const waiting = yield* Effect.fork(executor.shutdown(true))
      yield* TestScheduler.settle
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(waiting)
      expect(completions.map((c) => [c.jobId, c.state])).toEqual([["a", "succeeded"], ["b", "succeeded"]])
    }))

  it.scoped("shutdown(false): running and queued runs end interrupted, one JobError each; the signal fires; usable after", () =>
    Effect.gen(function*() {
      const { completions, events, executor, sink } = yield* setup(1)
      let signal: AbortSignal | undefined
      const hanging = job("hang", () => {
        signal = JobContext.current()!.signal
        return new Promise(() => {})
      })
      const effectJob = job("eff", () => Effect.never)
      yield* executor.submit([
        { job: hanging, runs: [run("hang", T0, 1), run("hang", T0 + 1, 2)] },
        { job: effectJob, runs: [run("eff", T0, 1)] }
      ], sink)
      yield* TestScheduler.settle
      expect(signal?.aborted).toBe(false)
      yield* executor.shutdown(false)
      expect(signal?.aborted).toBe(true)
      expect(completions.filter((c) => c.state === "interrupted").map((c) => `${c.jobId}#${c.fence}`).sort()).toEqual([
        "eff#1",
        "hang#1",
        "hang#2"
      ])
      const errors = (yield* TestScheduler.drain(events)).filter((e) => e._tag === "JobError")
      expect(errors.map((e) => (e as { exception: { _tag: string } }).exception._tag)).toEqual([
        "RunInterruptedError",
        "RunInterruptedError",
        "RunInterruptedError"
      ])
      expect(executor.pending()).toBe(0)
      yield* executor.submit([{ job: job("e", () => 1), runs: [run("e", T0, 1)] }], sink)
      yield* TestScheduler.settle
      expect(completions.at(-1)).toMatchObject({ jobId: "e", state: "succeeded" })
    }))
})

describe("FiberExecutor: task references", () => {
  /** A sink that holds run leases (as under `Lock.leased`): every run gets a stop handle. */
  const leasing = (completions: Array<Completion>): CompletionSink => ({
    done: (_job, c) => void completions.push(c),
    starting: () => true
  })
  const fixture = `${process.cwd()}/test/executors/fixtures/tasks.ts`

  it.scoped("a burst of 1,000 runs of a registered synchronous task under a lease-holding sink forks no fiber per run, as a plain function's", () =>
    Effect.gen(function*() {
      const counter = new ForkCounter()
      let calls = 0
      const tick = (n: number) => {
        calls++
        return n
      }
      const { events, executor } = yield* setup(10, { tasks: { tick } }, counter)
      const completions: Array<Completion> = []
      const burst = (task: Job.Task) =>
        Array.from({ length: 1_000 }, (_, i) => ({ job: job(`j${i}`, task, { args: [i] }), runs: [run(`j${i}`, T0, 1)] }))
      const forksOf = (batch: ReturnType<typeof burst>) =>
        Effect.gen(function*() {
          counter.forks = 0
          counter.on = true
          yield* executor.submit(batch, leasing(completions))
          yield* TestScheduler.settle
          counter.on = false
          return counter.forks
        })
      const byName = yield* forksOf(burst(TaskRef.make("tick")))
      expect(calls).toBe(1_000)
      expect(completions.map((c) => c.result)).toEqual(Array.from({ length: 1_000 }, (_, i) => i))
      expect(completions.every((c) => c.state === "succeeded")).toBe(true)
      expect((yield* TestScheduler.drain(events)).filter((e) => e._tag === "JobExecuted")).toHaveLength(1_000)
      const byFunction = yield* forksOf(burst(tick))
      // before, each run by name was resolved and run in a fiber of its own: 1,000 forks
      expect(byName).toBe(byFunction)
      expect(byName).toBeLessThan(10)
    }))

  it.scoped("a task reference whose function returns an Effect keeps the guarded path: its stop handle interrupts it", () =>
    Effect.gen(function*() {
      const { events, executor } = yield* setup(10, { tasks: { wait: () => Effect.never } })
      const completions: Array<Completion> = []
      let stop: ((reason: string) => void) | undefined
      yield* executor.submit([{ job: job("w", TaskRef.make("wait")), runs: [run("w", T0, 1)] }], {
        done: (_job, c) => void completions.push(c),
        starting: (_run, s) => {
          stop = s
          return true
        }
      })
      yield* TestScheduler.settle
      expect(completions).toEqual([])
      stop!("its lease was lost")
      yield* TestScheduler.settle
      expect(completions.map((c) => [c.state, c.error])).toEqual([[
        "interrupted",
        "Run of job 'w' scheduled at 2024-01-01T00:00:00.000Z was interrupted: its lease was lost"
      ]])
      expect(tags(yield* TestScheduler.drain(events))).toEqual(["JobError w"])
    }))

  it.scoped("a module reference: its first run imports the module (one fiber), later runs look it up in place (no fiber per run)", () =>
    Effect.gen(function*() {
      const counter = new ForkCounter()
      const { executor } = yield* setup(10, { allowImports: true }, counter)
      const completions: Array<Completion> = []
      const fib = TaskRef.make(`${fixture}:fib`)
      counter.on = true
      yield* executor.submit([{ job: job("f", fib, { args: [10] }), runs: [run("f", T0, 1)] }], leasing(completions))
      // the import resolves outside the fiber runtime
      while (completions.length < 1) {
        yield* TestScheduler.settle
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      }
      const first = counter.forks
      counter.forks = 0
      const later = Array.from({ length: 100 }, (_, i) => run("f", T0 + i + 1, i + 2))
      yield* executor.submit([{ job: job("f", fib, { args: [10] }), runs: later }], leasing(completions))
      yield* TestScheduler.settle
      counter.on = false
      expect(completions.map((c) => c.result)).toEqual(Array.from({ length: 101 }, () => 55))
      expect(first).toBeGreaterThanOrEqual(1)
      // before, every run went through the import and a fiber of its own: 100 forks
      expect(counter.forks).toBe(0)
    }))

  it.scoped("a reference that does not resolve fails its run with the registry's TaskLookupError (unregistered name, imports off, missing export), every time", () =>
    Effect.gen(function*() {
      const closed = yield* setup(10, { tasks: { known: () => 1 } })
      const open = yield* setup(10, { allowImports: true })
      const completions: Array<Completion> = []
      const sink = leasing(completions)
      const failing = (id: string, ref: string) => ({
        job: job(id, TaskRef.make(ref)),
        runs: [run(id, T0, 1), run(id, T0 + 1, 2)]
      })
      yield* closed.executor.submit([failing("name", "nope"), failing("imports", `${fixture}:fib`)], sink)
      // the module is imported (whoAmI resolves), the export is missing
      yield* open.executor.submit([failing("export", `${fixture}:whoAmI`), failing("missing", `${fixture}:nothing`)], sink)
      for (let i = 0; i < 100 && completions.length < 8; i++) {
        yield* TestScheduler.settle
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      }
      const failed = completions.filter((c) => c.state === "failed").map((c) => `${c.jobId}#${c.fence}`).sort()
      expect(failed).toEqual(["imports#1", "imports#2", "missing#1", "missing#2", "name#1", "name#2"])
      const errors = [...yield* TestScheduler.drain(closed.events), ...yield* TestScheduler.drain(open.events)]
        .filter((e) => e._tag === "JobError")
        .map((e) => {
          const { _tag, reason, task } = (e as { exception: { _tag: string; task: string; reason: string } }).exception
          return `${e.jobId} ${_tag} ${task === "nope" ? task : task.replace(fixture, "<fixture>")}: ${reason}`
        })
        .sort()
      expect(errors).toEqual([
        "imports TaskLookupError <fixture>:fib: module references are not allowed (allowImports is off)",
        "imports TaskLookupError <fixture>:fib: module references are not allowed (allowImports is off)",
        "missing TaskLookupError <fixture>:nothing: module has no function export 'nothing'",
        "missing TaskLookupError <fixture>:nothing: module has no function export 'nothing'",
        "name TaskLookupError nope: no task is registered under this name",
        "name TaskLookupError nope: no task is registered under this name"
      ])
      expect(completions.filter((c) => c.jobId === "export").map((c) => c.state)).toEqual(["succeeded", "succeeded"])
    }))
})
