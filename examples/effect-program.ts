/**
 * The Effect API: a program that composes the scheduler layer with its own, reads the
 * `Scheduler` service, takes the events as a `Stream`, and lets the layer's scope shut the
 * scheduler down (waiting for running jobs). Jobs may return Effects. Run: `npx tsx examples/effect-program.ts`.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import { Scheduler } from "../src/index.js"

/** A service of the application that a job uses. */
class Greeter extends Effect.Tag("example/Greeter")<Greeter, { readonly greet: (name: string) => Effect.Effect<string> }>() {}
const GreeterLive = Layer.succeed(Greeter, { greet: (name) => Effect.succeed(`hello, ${name}`) })

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler.Scheduler
  const greeter = yield* Greeter
  // a job that returns an Effect: it runs as a fiber, and its value is the run's result
  yield* scheduler.addJob((name: string) => greeter.greet(name), {
    id: "greet",
    trigger: "interval",
    triggerArgs: { seconds: 0.2 },
    args: ["effect"]
  })
  yield* scheduler.start()
  // the first three runs that ended, as a Stream of events
  const results = yield* scheduler.events().pipe(
    Stream.filter((event) => event._tag === "JobExecuted"),
    Stream.map((event) => (event._tag === "JobExecuted" ? event.retval : undefined)),
    Stream.take(3),
    Stream.runCollect
  )
  for (const result of results) console.log(`run returned: ${result}`)
  console.log(`state before the scope closes: ${yield* scheduler.state}`)
})

// the layer's scope owns the scheduler: leaving it shuts the scheduler down
await Effect.runPromise(
  program.pipe(
    Effect.provide(Layer.mergeAll(Scheduler.layerDefault({ timezone: "UTC" }), GreeterLive)),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
)
console.log("the scope closed: the scheduler has shut down")
