// Package runtime runs function code for real. An instance is a local
// process that speaks FunctionGraph's custom-runtime protocol: it is started
// with RUNTIME_API_ADDR and the documented RUNTIME_* environment, fetches
// invocations from GET /v1/runtime/invocation/request on its own loopback
// listener and answers on POST /v1/runtime/invocation/response/{id} or
// .../error/{id}. A Custom function brings that loop as its `bootstrap`
// executable; Python 3 and Node.js functions get a bootstrap shim shipped in
// this binary, which loads the handler (`index.handler`) and calls it with
// the event and a context object.
//
// Instances are kept warm between invocations and stopped when idle; each
// serves one invocation at a time, a function has at most MaxInstances of
// them, an invocation that outlives its timeout kills its instance, and the
// memory size is a data-segment limit (RLIMIT_DATA) where the OS has one.
// The package also keeps the code packages (zip files, by SHA-512 digest)
// and their unpacked trees under its directory.
//
// It never decides which version of a function runs, never reads the
// catalog and knows nothing of the API's wire format: the caller hands it a
// Spec and an event, and gets the function's output, log and error code.
// It never fakes a runtime it cannot run: Runnable says why.
package runtime
