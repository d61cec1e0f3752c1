/**
 * Trusted-proxy handling: which `X-Forwarded-*` headers to believe, as Express and
 * Fastify decide it. Bottle trusts every proxy; that is `trustProxy: true` here.
 * @module
 */
import { BlockList, isIP, type Socket } from 'node:net'
import type { TrustProxy } from '../structures.js'

/**
 * Decides whether the hop at `addr` (index `hop` from the server) may be believed.
 * `unixPeer` marks settings that trust a peer on a Unix socket (the `loopback` preset).
 */
export type TrustFn = ((addr: string, hop: number) => boolean) & { unixPeer?: boolean }

const PRESETS: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

/**
 * Set on a Node request by a front end that knows the mount point (the cgi adapter, from
 * `SCRIPT_NAME`); `BaseRequest` starts its `scriptName` from it. A symbol, so no client
 * can set it.
 */
export const kScriptName = Symbol('bottle-ts.scriptName')

const NEVER: TrustFn = () => false
const ALWAYS: TrustFn = () => true

/** Compiles a `trustProxy` setting into a predicate; bad settings throw at configuration time. */
export function compileTrust(setting: TrustProxy | undefined): TrustFn {
  if (setting === undefined || setting === false) return NEVER
  if (setting === true) return ALWAYS
  if (typeof setting === 'function') return setting
  if (typeof setting === 'number') {
    if (!Number.isInteger(setting) || setting < 0) {
      throw new RangeError(`trustProxy hop count must be a non-negative integer, got ${setting}`)
    }
    return (_addr, hop) => hop < setting
  }
  const entries = (typeof setting === 'string' ? setting.split(',') : setting).map((s) => s.trim())
  const list = new BlockList()
  for (const entry of entries.flatMap((e) => PRESETS[e] ?? [e])) {
    const [addr, bits] = entry.split('/')
    const type = isIP(addr ?? '')
    if (!type)
      throw new TypeError(`trustProxy: not an IP address or CIDR: ${JSON.stringify(entry)}`)
    const family = type === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(addr!, family)
    else {
      const prefix = Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === 4 ? 32 : 128)) {
        throw new RangeError(`trustProxy: bad prefix length in ${JSON.stringify(entry)}`)
      }
      list.addSubnet(addr!, prefix, family)
    }
  }
  const fn: TrustFn = (addr) => {
    const type = isIP(addr)
    if (!type) return false
    if (type === 6 && addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) {
      return list.check(addr.slice(7), 'ipv4') || list.check(addr, 'ipv6')
    }
    return list.check(addr, type === 4 ? 'ipv4' : 'ipv6')
  }
  // Only local processes can reach a Unix socket, so it is loopback by definition.
  fn.unixPeer = entries.includes('loopback')
  return fn
}

/**
 * Whether the socket's peer came in over a Unix socket: it has no address, and the server
 * that accepted it listens on a path.
 *
 * Security: a TCP socket closed before its address was read has no address either, so the
 * absence alone proves nothing; the listening server's address decides. A server that has
 * stopped listening answers `null`, and its peers are then not trusted as local.
 */
export function isUnixPeer(socket: Socket | undefined): boolean {
  if (!socket || socket.remoteAddress !== undefined) return false
  // Node sets `server` on every socket a net.Server (and so http/https) accepts.
  const server = (socket as Socket & { server?: { address?: () => unknown } }).server
  return typeof server?.address?.() === 'string'
}

/** Whether the hop may be believed; a Unix-socket peer (hop 0) by the setting's `unixPeer`. */
function trusts(trust: TrustFn, addr: string, hop: number, unixPeer: boolean): boolean {
  return hop === 0 && unixPeer && trust.unixPeer === true ? true : trust(addr, hop)
}

/**
 * The chain of addresses from the client to this server, cut at the first hop that is
 * not trusted: `[client, proxy1, ..., socketPeer]` read from the right.
 */
export function forwardedChain(
  socketAddr: string | undefined,
  xff: string | undefined,
  trust: TrustFn,
  unixPeer = false
): string[] {
  const peer = socketAddr ?? ''
  if (!xff || trust === NEVER) return peer ? [peer] : []
  const hops = xff
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  // A Unix-socket peer has no address to list.
  const chain = peer ? [peer] : []
  // Walk from the nearest hop outwards while the current hop is trusted to report the next.
  let current = peer
  for (let i = 0; i <= hops.length; i++) {
    if (!trusts(trust, current, i, unixPeer)) break
    const next = hops[hops.length - 1 - i]
    if (next === undefined) break
    chain.unshift(next)
    current = next
  }
  return chain
}

/** Whether the immediate peer may set `X-Forwarded-Proto` and `X-Forwarded-Host`. */
export function trustsPeer(
  socketAddr: string | undefined,
  trust: TrustFn,
  unixPeer = false
): boolean {
  return trust !== NEVER && trusts(trust, socketAddr ?? '', 0, unixPeer)
}
