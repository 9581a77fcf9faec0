// logtank's bootstrap for FunctionGraph's Node.js runtimes.
//
// It speaks the custom-runtime protocol on RUNTIME_API_ADDR: it fetches each
// invocation, calls the handler named by RUNTIME_HANDLER ("index.handler":
// export handler of index.js, found in RUNTIME_CODE_ROOT) with the event and
// a context object (and a callback, for handlers that take three arguments),
// and posts the result or the error. A handler that cannot be loaded fails
// every invocation with the reason; the process only ends when the server
// stops it.
'use strict';

const http = require('http');
const path = require('path');

const [host, port] = process.env.RUNTIME_API_ADDR.split(':');
const codeRoot = process.env.RUNTIME_CODE_ROOT || process.cwd();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// Error codes the server reports for failures before the handler runs.
const ENTRY_NOT_FOUND = 4001;
const INIT_FAILED = 4201;

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function describe(err) {
  if (err instanceof Error) {
    return {
      errorMessage: err.message || err.name,
      errorType: err.name,
      stackTrace: String(err.stack || '').split('\n').slice(1).map((l) => l.trim()),
    };
  }
  return { errorMessage: String(err), errorType: typeof err };
}

function logger(requestId) {
  const line = (level) => (...args) => console.log(`${new Date().toISOString()} ${requestId} ${level} ${args.join(' ')}`);
  return { info: line('INFO'), warn: line('WARN'), error: line('ERROR'), debug: line('DEBUG') };
}

function context(requestId, deadlineMs, alias) {
  const env = process.env;
  return {
    getRequestID: () => requestId,
    getRemainingTimeInMilliSeconds: () => Math.max(0, deadlineMs - Date.now()),
    getUserData: (key, dflt) => (key in env ? env[key] : dflt),
    getFunctionName: () => env.RUNTIME_FUNC_NAME || '',
    getRunningTimeInSeconds: () => Number(env.RUNTIME_TIMEOUT || 0),
    getVersion: () => env.RUNTIME_FUNC_VERSION || '',
    getMemorySize: () => Number(env.RUNTIME_MEMORY || 0),
    getCPUNumber: () => Number(env.RUNTIME_CPU || 0),
    getPackage: () => env.RUNTIME_PACKAGE || '',
    getProjectID: () => env.RUNTIME_PROJECT_ID || '',
    getAlias: () => alias,
    getLogger: () => logger(requestId),
    // This server issues no agency credentials.
    getAccessKey: () => '',
    getSecretKey: () => '',
    getSecurityAccessKey: () => '',
    getSecuritySecretKey: () => '',
    getSecurityToken: () => '',
    getToken: () => '',
  };
}

function load(name) {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) {
    return { problem: [ENTRY_NOT_FOUND, { errorMessage: `handler "${name}" is not file.export`, errorType: 'Error' }] };
  }
  const file = path.join(codeRoot, name.slice(0, dot));
  let mod;
  try {
    mod = require(file);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) {
      return { problem: [ENTRY_NOT_FOUND, { errorMessage: `no module "${name.slice(0, dot)}" in the code package (handler "${name}")`, errorType: 'Error' }] };
    }
    return { problem: [INIT_FAILED, describe(err)] };
  }
  const fn = mod[name.slice(dot + 1)];
  if (typeof fn !== 'function') {
    return { problem: [ENTRY_NOT_FOUND, { errorMessage: `module "${name.slice(0, dot)}" exports no function "${name.slice(dot + 1)}" (handler "${name}")`, errorType: 'Error' }] };
  }
  return { fn };
}

function run(fn, event, ctx) {
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => {
      const out = fn(event, ctx, (err, result) => (err ? reject(err) : resolve(result)));
      if (out && typeof out.then === 'function') out.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => fn(event, ctx));
}

function encode(result) {
  if (result === undefined || result === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(result)) return result;
  if (typeof result === 'string') return Buffer.from(result);
  return Buffer.from(JSON.stringify(result));
}

async function next() {
  for (;;) {
    try {
      const { res, body } = await call('GET', '/v1/runtime/invocation/request');
      if (res.statusCode === 200) return { headers: res.headers, body };
    } catch (err) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function fail(requestId, error, code) {
  const headers = { 'Content-Type': 'application/json' };
  if (code) headers['X-Cff-Func-Err-Code'] = String(code);
  return call('POST', `/v1/runtime/invocation/error/${requestId}`, JSON.stringify(error), headers);
}

async function main() {
  let { fn, problem } = load(process.env.RUNTIME_HANDLER || 'index.handler');
  const initName = process.env.RUNTIME_INITIALIZER_HANDLER || '';
  if (!problem && initName) {
    const init = load(initName);
    problem = init.problem;
    if (!problem) {
      try {
        // FunctionGraph's initializer is initializer(context[, callback]).
        const ctx = context('', 0, '');
        await (init.fn.length >= 2
          ? new Promise((resolve, reject) => init.fn(ctx, (err) => (err ? reject(err) : resolve())))
          : Promise.resolve().then(() => init.fn(ctx)));
      } catch (err) {
        problem = [INIT_FAILED, describe(err)];
      }
    }
  }
  for (;;) {
    const { headers, body } = await next();
    const requestId = headers['x-cff-request-id'] || '';
    if (problem) {
      await fail(requestId, problem[1], problem[0]);
      continue;
    }
    const ctx = context(requestId, Number(headers['x-cff-deadline-ms'] || 0), headers['x-cff-func-alias'] || '');
    let event;
    try {
      event = body.length ? JSON.parse(body.toString()) : {};
    } catch (err) {
      event = body.toString();
    }
    let data;
    try {
      data = encode(await run(fn, event, ctx));
    } catch (err) {
      await fail(requestId, describe(err));
      continue;
    }
    await call('POST', `/v1/runtime/invocation/response/${requestId}`, data);
  }
}

main();
