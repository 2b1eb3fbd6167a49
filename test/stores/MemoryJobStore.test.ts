import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Job from "../../src/job/Job.js"
import { JobIndex } from "../../src/stores/MemoryJobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { every } from "../testing/testTriggers.js"
import { byScheduleOrder, suite } from "./jobStoreSuite.js"

suite("MemoryJobStore", MemoryJobStore.layer)

describe("MemoryJobStore index", () => {
  const trigger = every(60, 0)
  const noop = () => undefined

  it("holds functions directly", () => {
    const index = new JobIndex()
    const fn = () => 42
    index.add(Job.make({ id: "f", task: fn, trigger, nextRunTime: 1 }), false)
    expect(index.get("f")!.task).toBe(fn)
  })

  it("getDueJobs is proportional to the due jobs (100k jobs, 3 due)", () => {
    const index = new JobIndex()
    for (let i = 0; i < 100_000; i++) {
      index.add(Job.make({ id: `j${i}`, task: noop, trigger, nextRunTime: 1_000_000 + i }), false)
    }
    index.add(Job.make({ id: "d1", task: noop, trigger, nextRunTime: 5 }), false)
    index.add(Job.make({ id: "d2", task: noop, trigger, nextRunTime: 3 }), false)
    index.add(Job.make({ id: "d3", task: noop, trigger, nextRunTime: 5 }), false)
    // (its cost is measured by bench/dispatch.ts, not asserted here)
    expect(index.due(10).map((j) => j.id)).toEqual(["d2", "d1", "d3"])
    expect(index.nextRunTime()).toBe(3)
  })
})

describe("MemoryJobStore index: a pass takes the due jobs out at once", () => {
  const trigger = every(60, 0)
  const noop = () => undefined
  const op = fc.oneof(fc.constant("update" as const), fc.constant("remove" as const), fc.constant("restore" as const))

  it("takeDue gives what due gives; after updates, removals and restores the index equals a model", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { nil: null, freq: 5 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.tuple(op, fc.integer({ min: 0, max: 100 })), { maxLength: 60 }),
        (times, now, ops) => {
          const index = new JobIndex()
          const model = new Map<string, Job.Job>()
          times.forEach((t, i) => {
            const job = Job.make({ id: `j${String(i).padStart(2, "0")}`, task: noop, trigger, nextRunTime: t })
            index.add(job, false)
            model.set(job.id, job)
          })
          const expected = index.due(now).map((j) => j.id)
          const taken = index.takeDue(now)
          expect(taken.map((j) => j.id)).toEqual(expected)
          // taken jobs are still stored and listed, but no longer due
          for (const j of taken) expect(index.get(j.id)).toBe(j)
          expect(index.due(now)).toEqual([])
          taken.forEach((job, i) => {
            const [kind, t] = ops[i] ?? ["restore", 0]
            if (kind === "remove") {
              index.remove(job.id)
              model.delete(job.id)
            } else if (kind === "update") {
              const moved = Job.modify(job, { nextRunTime: now + 1 + t })
              index.update(moved)
              model.set(job.id, moved)
            } else {
              index.restore(job)
            }
          })
          const sorted = [...model.values()].sort(byScheduleOrder)
          expect(index.all().map((j) => j.id)).toEqual(sorted.map((j) => j.id))
          const limit = now + 200
          expect(index.due(limit).map((j) => j.id)).toEqual(
            sorted.filter((j) => j.nextRunTime !== null && j.nextRunTime <= limit).map((j) => j.id)
          )
          const next = sorted.find((j) => j.nextRunTime !== null)?.nextRunTime ?? undefined
          expect(index.nextRunTime()).toBe(next)
        }
      ),
      { numRuns: 500 }
    )
  })
})
