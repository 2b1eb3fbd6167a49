// Worker-thread entry when running from TypeScript sources: registers tsx, then loads the worker.
import { register } from "tsx/esm/api"

register()
await import("./workerMain.ts")
