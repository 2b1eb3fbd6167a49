/**
 * The entry point of WorkerExecutor's worker threads: runs `"module:export"` task references.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as Runner from "@effect/platform/WorkerRunner"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { LazyRunContext, runWith } from "../../job/JobContext.js"
import { moduleSpecifier } from "../../job/TaskRef.js"
import type { RunRequest, TaskFailure } from "./workerProtocol.js"

const toFailure = (e: unknown): TaskFailure =>
  e instanceof Error
    ? { name: e.name, message: e.message, stack: e.stack }
    : { name: "Error", message: String(e), stack: undefined }

const run = (request: RunRequest) =>
  Effect.tryPromise({
    try: async () => {
      const i = request.task.lastIndexOf(":")
      const mod = (await import(moduleSpecifier(request.task.slice(0, i)))) as Record<string, unknown>
      const fn = mod[request.task.slice(i + 1)]
      if (typeof fn !== "function") throw new Error(`'${request.task}' is not a function export`)
      const hasKwargs = Object.keys(request.kwargs).length > 0
      const { attempt, fence, jobId, scheduledTime } = request.context
      // the signal of this context never fires: an interrupted run terminates its worker thread
      const context = new LazyRunContext(jobId, scheduledTime, fence, attempt)
      return await runWith(context, () => (hasKwargs ? fn(...request.args, request.kwargs) : fn(...request.args)))
    },
    catch: toFailure
  })

NodeRuntime.runMain(Runner.launch(Runner.layer(run).pipe(Layer.provide(NodeWorkerRunner.layer))))
