/**
 * A loopback TCP fault proxy for the chaos harness: `pass` forwards, `reset` destroys every
 * connection and refuses new ones (the peer sees a reset), `blackhole` keeps connections open but
 * forwards nothing either way (the peer sees silence until its own timeouts fire).
 */
import * as net from "node:net"

/** The proxy's fault modes. */
export type Mode = "pass" | "reset" | "blackhole"

/** A running proxy. */
export interface Proxy {
  readonly port: number
  readonly mode: () => Mode
  readonly setMode: (mode: Mode) => void
  readonly close: () => Promise<void>
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `127.0.0.1:targetPort`. */
export const startProxy = (targetPort: number): Promise<Proxy> =>
  new Promise((resolve, reject) => {
    let mode: Mode = "pass"
    const pairs = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>()
    const drop = (pair: { client: net.Socket; upstream: net.Socket | undefined }) => {
      pairs.delete(pair)
      pair.client.resetAndDestroy()
      pair.upstream?.resetAndDestroy()
    }
    const server = net.createServer((client) => {
      client.on("error", () => {})
      if (mode === "reset") return void client.resetAndDestroy()
      const pair: { client: net.Socket; upstream: net.Socket | undefined } = { client, upstream: undefined }
      pairs.add(pair)
      client.on("close", () => drop(pair))
      if (mode === "blackhole") return // accepted, never connected upstream: silence
      const upstream = net.connect(targetPort, "127.0.0.1")
      pair.upstream = upstream
      upstream.on("error", () => drop(pair))
      upstream.on("close", () => drop(pair))
      client.on("data", (chunk) => {
        if (mode === "pass") upstream.write(chunk)
      })
      upstream.on("data", (chunk) => {
        if (mode === "pass") client.write(chunk)
      })
    })
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      resolve({
        port,
        mode: () => mode,
        setMode: (next) => {
          mode = next
          // a reset cuts every connection; a blackhole keeps them, silent (data is dropped)
          if (next === "reset") for (const pair of [...pairs]) drop(pair)
        },
        close: () =>
          new Promise<void>((done) => {
            for (const pair of [...pairs]) drop(pair)
            server.close(() => done())
          })
      })
    })
  })
