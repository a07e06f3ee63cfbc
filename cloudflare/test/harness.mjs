// What the Worker's end-to-end suite (e2e.test.mjs) and the load + fault benchmark
// (bench/load-fault.mjs) both need to drive local servers: free loopback ports, polling with
// a deadline, and child processes whose output goes to log files and which stop together.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a truthy value, or fails after `ms` naming `what`. */
export async function until(what, probe, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** Child processes logging to `<logDir>/<name>.log` (`child.logFile`), stopped together. */
export function childProcesses(logDir) {
  const children = [];
  return {
    start(name, cmd, args, opts) {
      const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
      const logFile = path.join(logDir(), `${name}.log`);
      const log = fs.createWriteStream(logFile);
      child.stdout.pipe(log);
      child.stderr.pipe(log);
      child.logFile = logFile;
      children.push(child);
      return child;
    },
    stopAll() {
      for (const c of children) {
        if (c.exitCode === null) c.kill('SIGTERM');
      }
    },
  };
}
