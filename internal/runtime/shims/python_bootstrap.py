"""logtank's bootstrap for FunctionGraph's Python 3 runtimes.

It speaks the custom-runtime protocol on RUNTIME_API_ADDR: it fetches each
invocation, calls the handler named by RUNTIME_HANDLER ("index.handler":
function handler of module index, found in RUNTIME_CODE_ROOT) with the event
and a context object, and posts the result or the error. A handler that
cannot be loaded fails every invocation with the reason, so that the caller
sees it; the process itself only ends when the server stops it.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["RUNTIME_API_ADDR"]
CODE_ROOT = os.environ.get("RUNTIME_CODE_ROOT", os.getcwd())

# Error codes the server reports for failures before the handler runs.
ENTRY_NOT_FOUND = 4001
INIT_FAILED = 4201


class Logger:
    """The logger of context.getLogger(): lines carry time and request id."""

    def __init__(self, request_id):
        self._request_id = request_id

    def _log(self, level, msg, *args):
        if args:
            msg = msg % args
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        print("%s %s %s %s" % (stamp, self._request_id, level, msg), flush=True)

    def info(self, msg, *args):
        self._log("INFO", msg, *args)

    def warn(self, msg, *args):
        self._log("WARN", msg, *args)

    warning = warn

    def error(self, msg, *args):
        self._log("ERROR", msg, *args)

    def debug(self, msg, *args):
        self._log("DEBUG", msg, *args)


class Context:
    """FunctionGraph's context object, as documented for Python."""

    def __init__(self, request_id="", deadline_ms=0, alias=""):
        self._request_id = request_id
        self._deadline_ms = deadline_ms
        self._alias = alias

    def getRequestID(self):
        return self._request_id

    def getRemainingTimeInMilliSeconds(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def getUserData(self, key, default=None):
        return os.environ.get(key, default)

    def getFunctionName(self):
        return os.environ.get("RUNTIME_FUNC_NAME", "")

    def getRunningTimeInSeconds(self):
        return int(os.environ.get("RUNTIME_TIMEOUT", "0"))

    def getVersion(self):
        return os.environ.get("RUNTIME_FUNC_VERSION", "")

    def getMemorySize(self):
        return int(os.environ.get("RUNTIME_MEMORY", "0"))

    def getCPUNumber(self):
        return float(os.environ.get("RUNTIME_CPU", "0"))

    def getPackage(self):
        return os.environ.get("RUNTIME_PACKAGE", "")

    def getProjectID(self):
        return os.environ.get("RUNTIME_PROJECT_ID", "")

    def getAlias(self):
        return self._alias

    def getLogger(self):
        return Logger(self._request_id)

    # This server issues no agency credentials.
    def getAccessKey(self):
        return ""

    def getSecretKey(self):
        return ""

    def getSecurityAccessKey(self):
        return ""

    def getSecuritySecretKey(self):
        return ""

    def getSecurityToken(self):
        return ""

    def getToken(self):
        return ""


class Client:
    """A keep-alive connection to the runtime API, reopened after errors."""

    def __init__(self, addr):
        self._addr = addr
        self._conn = None

    def _call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._addr)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def next(self):
        while True:
            try:
                resp, body = self._call("GET", "/v1/runtime/invocation/request")
            except (http.client.HTTPException, OSError):
                time.sleep(0.05)
                continue
            if resp.status == 200:
                return resp.headers, body

    def respond(self, request_id, data):
        self._call("POST", "/v1/runtime/invocation/response/" + request_id, body=data)

    def fail(self, request_id, error, code=None):
        headers = {"Content-Type": "application/json"}
        if code:
            headers["X-Cff-Func-Err-Code"] = str(code)
        self._call("POST", "/v1/runtime/invocation/error/" + request_id,
                   body=json.dumps(error).encode(), headers=headers)


def describe(exc):
    return {
        "errorMessage": str(exc) or type(exc).__name__,
        "errorType": type(exc).__name__,
        "stackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)],
    }


def load(name):
    """Returns (function, None) or (None, (code, error)) for a handler name."""
    module_name, _, func_name = name.rpartition(".")
    if not module_name or not func_name:
        return None, (ENTRY_NOT_FOUND, {"errorMessage": "handler %r is not module.function" % name, "errorType": "ValueError"})
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None, (ENTRY_NOT_FOUND, {"errorMessage": "no module %r in the code package (handler %r)" % (module_name, name), "errorType": "ModuleNotFoundError"})
        return None, (INIT_FAILED, describe(exc))
    except Exception as exc:  # the module's own code failed
        return None, (INIT_FAILED, describe(exc))
    func = getattr(module, func_name, None)
    if not callable(func):
        return None, (ENTRY_NOT_FOUND, {"errorMessage": "module %r has no function %r (handler %r)" % (module_name, func_name, name), "errorType": "AttributeError"})
    return func, None


def encode(result):
    """The answer's bytes: text and bytes as they are, anything else as JSON."""
    if result is None:
        return b""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode()
    return json.dumps(result).encode()


def main():
    sys.path.insert(0, CODE_ROOT)
    client = Client(API)
    handler, problem = load(os.environ.get("RUNTIME_HANDLER", "index.handler"))
    init_name = os.environ.get("RUNTIME_INITIALIZER_HANDLER", "")
    if problem is None and init_name:
        initializer, problem = load(init_name)
        if problem is None:
            try:
                initializer(Context())
            except Exception as exc:
                problem = (INIT_FAILED, describe(exc))
    while True:
        headers, body = client.next()
        request_id = headers.get("X-Cff-Request-Id", "")
        if problem is not None:
            client.fail(request_id, problem[1], problem[0])
            continue
        context = Context(request_id, int(headers.get("X-Cff-Deadline-Ms", "0") or 0), headers.get("X-Cff-Func-Alias", ""))
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError:
            event = body.decode("utf-8", "replace")
        try:
            data = encode(handler(event, context))
        except Exception as exc:
            sys.stdout.flush()
            client.fail(request_id, describe(exc))
            continue
        sys.stdout.flush()
        client.respond(request_id, data)


if __name__ == "__main__":
    main()
