//go:build !unix

package testkit

import (
	"net"
	"testing"
)

// RefusedURL returns an http:// URL on 127.0.0.1 where nothing listens. On
// systems without Unix sockets the port is only freed, not held: another
// server may take it before the test connects.
func RefusedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("a port to free: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}
