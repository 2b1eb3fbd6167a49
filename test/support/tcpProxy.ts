/**
 * A small loopback TCP proxy for outage tests (node:net): it forwards every connection to a real
 * server until it is cut, then destroys the open connections and refuses new ones until it is
 * restored. Shared by the Redis and PostgreSQL outage tests.
 */
import * as net from "node:net"

/** A running proxy: where to connect, and the switch. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number
  /** Destroys every open connection and refuses new ones. */
  readonly cut: () => void
  /** Accepts (and forwards) connections again. */
  readonly restore: () => void
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
  const server = net.createServer((client) => {
    client.on("error", () => {})
    if (down) {
      refused++
      return void client.destroy()
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
    restore: () => {
      down = false
    },
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
