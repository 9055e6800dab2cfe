//go:build unix

package testkit

import (
	"fmt"
	"syscall"
	"testing"
)

// RefusedURL returns an http:// URL on 127.0.0.1 whose port refuses every
// connection until the test ends. The port is held by a socket that is bound
// but does not listen: closing a server to free its port would not do, since
// the next server a test starts may be given the same port.
func RefusedURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("a socket for a refused port: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("binding a refused port: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("the refused port: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("the refused port: an address of type %T", sa)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", in4.Port)
}
