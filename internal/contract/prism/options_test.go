package prism

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartRejectsBadOptions(t *testing.T) {
	for name, c := range map[string]struct {
		o    Options
		want string
	}{
		"no executable":       {Options{Spec: "s.yaml", Mode: Mock}, BinEnv},
		"no spec":             {Options{Bin: "prism", Mode: Mock}, "no spec file"},
		"an unknown mode":     {Options{Bin: "prism", Spec: "s.yaml", Mode: "stub"}, `mode "stub"; expected "mock" or "proxy"`},
		"a proxy to nowhere":  {Options{Bin: "prism", Spec: "s.yaml", Mode: Proxy}, "needs an upstream"},
		"a mock with a proxy": {Options{Bin: "prism", Spec: "s.yaml", Mode: Mock, Upstream: "http://127.0.0.1:1"}, "takes no upstream"},
		"a relative upstream": {Options{Bin: "prism", Spec: "s.yaml", Mode: Proxy, Upstream: "127.0.0.1:1"}, "not an absolute URL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Start(context.Background(), c.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestStartReportsAnExecutableThatIsNotThere(t *testing.T) {
	_, err := Start(context.Background(), Options{Bin: "/nonexistent/prism", Spec: "s.yaml", Mode: Mock})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "starting /nonexistent/prism")
}

func TestStartReportsAProcessThatExitsEarly(t *testing.T) {
	// `false` exits at once without listening: Start says so, three times
	// over, and does not wait for the timeout.
	_, err := Start(context.Background(), Options{Bin: "false", Spec: "s.yaml", Mode: Mock})
	require.Error(t, err)
	assert.ErrorIs(t, err, errExited)
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	require.NoError(t, err)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err, "the port is free to listen on")
	require.NoError(t, l.Close())
}

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 5}
	_, _ = tl.Write([]byte("abc"))
	_, _ = tl.Write([]byte("defg"))
	assert.Equal(t, "cdefg", tl.String())
}
