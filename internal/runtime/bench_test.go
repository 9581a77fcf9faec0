package runtime

import (
	"testing"
)

// benchInvoke measures a warm invocation: the handoff to the instance over
// its runtime API, the function's answer, and the log sync.
func benchInvoke(b *testing.B, spec Spec, m *Manager) {
	wantOK(b, invoke(b, m, spec, `{}`)) // start the instance
	b.ResetTimer()
	for b.Loop() {
		if res := invoke(b, m, spec, `{"k":"v"}`); res.ErrorCode != 0 {
			b.Fatalf("failed: %s", res.Output)
		}
	}
}

func BenchmarkInvokeWarmPython(b *testing.B) {
	need(b, "python3")
	m := newManager(b, Config{})
	benchInvoke(b, deploy(b, m, "Python3.9", "index.handler", zipOf(b, file{"index.py", 0, "def handler(event, context):\n    return event\n"})), m)
}

func BenchmarkInvokeWarmNode(b *testing.B) {
	need(b, "node")
	m := newManager(b, Config{})
	benchInvoke(b, deploy(b, m, "Node.js18.15", "index.handler", zipOf(b, file{"index.js", 0, "exports.handler = async (event) => event;\n"})), m)
}

func BenchmarkInvokeWarmBashBootstrap(b *testing.B) {
	need(b, "bash")
	m := newManager(b, Config{})
	benchInvoke(b, deploy(b, m, "Custom", "bootstrap", zipOf(b, file{"bootstrap", 0o755, bashBootstrap(`handle() { body="$event"; }`)})), m)
}

// BenchmarkColdStartPython measures starting an instance: unpacked code,
// listener, process, the interpreter loading the shim and the handler.
func BenchmarkColdStartPython(b *testing.B) {
	need(b, "python3")
	m := newManager(b, Config{})
	spec := deploy(b, m, "Python3.9", "index.handler", zipOf(b, file{"index.py", 0, "def handler(event, context):\n    return event\n"}))
	wantOK(b, invoke(b, m, spec, `{}`)) // unpack the code and resolve the interpreter once
	for b.Loop() {
		m.Retire(spec.FunctionID, "")
		if res := invoke(b, m, spec, `{}`); res.ErrorCode != 0 || !res.ColdStart {
			b.Fatalf("failed or warm: %+v", res)
		}
	}
}
