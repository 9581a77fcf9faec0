// Package wire owns the conventions every service shares on the wire: the
// service error type and its JSON body, JSON responses, lenient request
// decoding (numbers and booleans that arrive as strings), and the Route type
// with which a service tells the server what it answers.
//
// It knows nothing of any one service's error codes: each service keeps its
// own catalogue and builds *Error values from it.
package wire
