package wire

import (
	"net/http/httptest"
	"testing"
)

func TestWriteErrorShapes(t *testing.T) {
	for _, c := range []struct {
		shape Shape
		want  string
	}{
		{ShapeCodeMsg, `{"error_code":"X.1","error_msg":"bad"}`},
		{ShapeAMS, `{"errorCode":"X.1","errorMessage":"bad"}`},
		{ShapePrometheus, `{"status":"error","errorType":"X.1","error":"bad"}`},
		{ShapeIngest, `{"errorCode":"X.1","errorMessage":"bad","error_code":"X.1","error_msg":"bad","result":null}`},
	} {
		w := httptest.NewRecorder()
		WriteError(w, &Error{Status: 418, Code: "X.1", Msg: "bad", Shape: c.shape})
		if w.Code != 418 || w.Body.String() != c.want {
			t.Errorf("shape %d: %d %s", c.shape, w.Code, w.Body.String())
		}
	}
}
