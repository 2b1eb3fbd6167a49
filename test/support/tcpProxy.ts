/**
 * A small loopback TCP proxy for outage tests (node:net): it forwards every connection to a real
 * server. Two faults, until `restore()`:
 * - `cut()` (reset): destroys the open connections and refuses new ones;
 * - `blackhole()`: nothing answers any more, and nothing says so. Open connections stay open but
 *   every byte either way is dropped; new connections are accepted and never forwarded (a client
 *   waits for ever unless it times out). `restore()` then destroys the connections held through
 *   the blackhole (their protocol state is lost, as a peer would find on its next send) and
 *   forwards new ones again.
 * Shared by the Redis and PostgreSQL outage tests.
 */
import * as net from "node:net"

/** A running proxy: where to connect, and the switch. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number
  /** Destroys every open connection and refuses new ones. */
  readonly cut: () => void
  /** Drops every byte of the open connections and holds new ones silent (see the module doc). */
  readonly blackhole: () => void
  /** Accepts (and forwards) connections again; ends a blackhole (destroying what it held). */
  readonly restore: () => void
  /** The number of connections accepted and held silent while blackholed. */
  readonly swallowed: () => number
  /** The number of connections refused while cut. */
  readonly refused: () => number
  /** Stops the proxy (destroying its connections). */
  readonly close: () => Promise<void>
}

/** Starts a proxy on a free port of 127.0.0.1 to `host:port`. */
export const startTcpProxy = async (host: string, port: number): Promise<TcpProxy> => {
  const sockets = new Set<net.Socket>()
  let down = false
  let refused = 0
  let holes = false
  let swallowed = 0
  /** Stops forwarding between the two sockets of every pair: their data is dropped from now on. */
  const silence = (s: net.Socket) => {
    s.unpipe()
    s.removeAllListeners("data")
    s.on("data", () => {})
  }
  const server = net.createServer((client) => {
    client.on("error", () => {})
    if (down) {
      refused++
      return void client.destroy()
    }
    if (holes) {
      swallowed++
      sockets.add(client)
      client.on("close", () => sockets.delete(client))
      return void client.on("data", () => {})
    }
    const upstream = net.connect(port, host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
      s.on("error", () => {})
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      down = true
      for (const s of sockets) s.destroy()
    },
    blackhole: () => {
      holes = true
      for (const s of sockets) silence(s)
    },
    restore: () => {
      down = false
      if (holes) {
        holes = false
        for (const s of sockets) s.destroy()
      }
    },
    refused: () => refused,
    swallowed: () => swallowed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
