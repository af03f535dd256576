#!/usr/bin/env node
// ONNX Runtime worker for scripts/bench_peers.sh: loads one model with a fixed thread count, then
// answers commands on stdin, one JSON line on stdout per command.
//
//   node ort_bench.js --model M.onnx --threads N --input X.npy [--output Y.npy] [--optimized OPT.onnx]
//   stdin:  run RUNS WARMUP [BUDGET_MS]
//                             -> {"times_ms": [...]}   (WARMUP untimed runs, then RUNS timed ones;
//                                with BUDGET_MS, the warm-up stops after BUDGET_MS/4 (at least 1
//                                run) and the timed runs after BUDGET_MS (at least 5 runs))
//           quit              -> {"vmhwm_kb": K}       (peak RSS of this process) and exit
//
// Session: intraOpNumThreads N, interOpNumThreads 1, graphOptimizationLevel 'all', executionMode
// 'sequential', CPU execution provider. Each run is timed alone with process.hrtime.bigint().
// --output writes the model's output for --input (float32 .npy) before any timing; --optimized saves
// ORT's optimized graph (to check which nodes it fused).
// Needs onnxruntime-node; NODE_PATH (or a node_modules beside/above this file) must find it.
'use strict';

const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = {};
  for (let i = 2; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    a[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['model', 'threads', 'input']) if (!(k in a)) throw new Error(`--${k} is required`);
  return a;
}

// float32 little-endian, C order .npy (versions 1-3)
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: needs float32 little-endian C-order data, header ${header.trim()}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const off = start + hlen;
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
  return { data, shape };
}

function writeNpy(path, data, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

function vmhwmKb() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : null;
}

async function main() {
  const a = parseArgs(process.argv);
  const threads = Number(a.threads);
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (a.optimized) options.optimizedModelFilePath = a.optimized;
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(a.model, options);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const x = readNpy(a.input);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) };
  const outName = session.outputNames[0];
  const first = await session.run(feeds);
  if (a.output) writeNpy(a.output, first[outName].data, first[outName].dims);

  const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  out({ ready: true, load_ms: loadMs, ort_version: require('onnxruntime-node/package.json').version });
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'run') {
      const runs = Number(words[1]);
      const warmup = Number(words[2] || 0);
      const budgetMs = words[3] ? Number(words[3]) : Infinity;
      let start = process.hrtime.bigint();
      for (let i = 0; i < warmup; i++) {
        await session.run(feeds);
        if (Number(process.hrtime.bigint() - start) / 1e6 > budgetMs / 4) break;
      }
      const times = [];
      start = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) {
        const s = process.hrtime.bigint();
        await session.run(feeds);
        const e = process.hrtime.bigint();
        times.push(Number(e - s) / 1e6);
        if (times.length >= 5 && Number(e - start) / 1e6 > budgetMs) break;
      }
      out({ times_ms: times });
    } else if (words[0] === 'quit') {
      out({ vmhwm_kb: vmhwmKb() });
      break;
    } else if (words[0]) {
      out({ error: `unknown command ${words[0]}` });
    }
  }
  await session.release();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.stack ? e.stack : e) }) + '\n');
  process.exit(1);
});
