// Starts the project's nginx under bubblewrap (scripts/nginx-sandbox.sh) and
// talks to it: real TLS, real HTTP/2, the served files as they are.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '..', '..');
export const run = promisify(execFile);

export const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through scripts/test.sh`);
  return value;
};

/** Starts nginx on `port`; resolves once /health answers. */
export async function startNginx({ dist, tls, config, work, port = 8443, nginx = undefined }) {
  mkdirSync(dirname(work), { recursive: true });
  // Files, as a container runtime gives: nginx cannot open /dev/stdout when it is a socket.
  const [stdoutFile, stderrFile] = [`${work}.stdout.log`, `${work}.stderr.log`];
  const child = spawn(join(ROOT, 'scripts', 'nginx-sandbox.sh'),
    ['--dist', dist, '--tls', tls, '--config', config, '--work', work, '--port', String(port), ...(nginx ? ['--nginx', nginx] : [])],
    { stdio: ['ignore', openSync(stdoutFile, 'w'), openSync(stderrFile, 'w')] });
  const out = {
    get stdout() { return readFileSync(stdoutFile, 'utf8'); },
    get stderr() { return readFileSync(stderrFile, 'utf8'); },
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await run('curl', ['-sk', '--fail', '-o', '/dev/null', `https://localhost:${port}/health`]);
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        // Who holds the port, when that is why: a listener or an outgoing connection's source port.
        const holders = /Address already in use/.test(out.stderr)
          ? (await run('ss', ['-tanp', `( sport = :${port} )`]).catch((e) => ({ stdout: String(e) }))).stdout
          : '';
        throw new Error(`nginx did not start on ${port}:\n${out.stderr}${holders && `\nsockets on port ${port}:\n${holders}`}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    child,
    out,
    port,
    url: `https://localhost:${port}`,
    /** stub_status, on the loopback port scripts/nginx-sandbox.sh gives it by default. */
    statusUrl: `http://127.0.0.1:${port + 1000}/stub_status`,
    /** The host pid of the nginx master inside the sandbox. */
    masterPid() {
      const children = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      const queue = [String(child.pid)];
      while (queue.length) {
        const pid = queue.shift();
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.startsWith('nginx: master')) return Number(pid);
        queue.push(...children(pid));
      }
      throw new Error('no nginx master process found');
    },
    /** Host pids of the workers of the master. */
    workerPids() {
      const master = this.masterPid();
      return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What nginx wrote into the emptyDir stand-in. */
/** The page modules a glue loads on first visits (scripts/split-wasm.sh), as file names. */
export const pageModules = (glue) => [
  ...new Set((glue.match(/\.\/(split|chunk)_[A-Za-z0-9_]+-[0-9a-f]{16}\.wasm/g) ?? []).map((m) => m.slice(2))),
];

export const writtenFiles = (work) => readdirSync(join(work, 'tmp')).sort();

/** Runs a command with stdin closed; resolves to { code, output } (stdout and stderr). */
export function runClosed(command, args, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** The sha256 CSP sources of the inline scripts of an HTML document. */
export async function inlineScriptHashes(html) {
  const { createHash } = await import('node:crypto');
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
    .map(([, body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
}

/** curl with headers: returns { status, headers (lower-cased), body, version }. */
export async function curl(url, args = []) {
  const { stdout } = await run('curl', ['-sk', '--http2', '-i', ...args, url], {
    encoding: 'buffer', maxBuffer: 16 * 1024 * 1024,
  });
  const text = stdout.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    headers[name] = headers[name] ? `${headers[name]}, ${line.slice(i + 1).trim()}` : line.slice(i + 1).trim();
  }
  const [version, status] = statusLine.split(' ');
  return { status: Number(status), version, headers, body: stdout.subarray(end + 4) };
}
