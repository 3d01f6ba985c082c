// REDIS_CLUSTER_NODES parsing, apart from the client so config can read it without loading ioredis.

/** `host:port,host:port` (REDIS_CLUSTER_NODES) as seed nodes; `[v6]:port` for IPv6. Throws on a bad entry. */
export function parseClusterNodes(text: string): { host: string; port: number }[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
      const port = m ? Number(m[3]) : Number.NaN;
      if (!m || port < 1 || port > 65535) throw new Error(`REDIS_CLUSTER_NODES: ${s} is not host:port`);
      return { host: m[1] ?? m[2], port };
    });
}
