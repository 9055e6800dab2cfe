package testkit

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClockSleepAdvancesAndRecords(t *testing.T) {
	c := NewClock()
	require.NoError(t, c.Sleep(t.Context(), 3*time.Second))
	c.Advance(time.Minute)
	require.NoError(t, c.Sleep(t.Context(), time.Millisecond))
	assert.Equal(t, Epoch().Add(time.Minute+3*time.Second+time.Millisecond), c.Now())
	assert.Equal(t, []time.Duration{3 * time.Second, time.Millisecond}, c.Sleeps())
}

func TestClockSleepHonoursTheContext(t *testing.T) {
	c := NewClock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, c.Sleep(ctx, time.Second), context.Canceled)
	assert.Empty(t, c.Sleeps())
	assert.Equal(t, Epoch(), c.Now())
}

func TestSyncBufferAndReporterUnderConcurrentWriters(t *testing.T) {
	var (
		buf SyncBuffer
		rep Reporter
		wg  sync.WaitGroup
	)
	for i := range 8 {
		wg.Go(func() {
			_, _ = fmt.Fprintf(&buf, "%d;", i)
			rep.Errorf("message %d", i)
		})
	}
	wg.Wait()
	assert.Len(t, buf.String(), 16)
	assert.Len(t, rep.Messages(), 8)
	rep.Reset()
	assert.Empty(t, rep.Messages())
}

func TestMarkerIsLowerCaseAndUnique(t *testing.T) {
	a, b := Marker(t), Marker(t)
	assert.Regexp(t, `^testmarkerislowercaseandunique-[0-9]+$`, a)
	assert.NotEqual(t, a, b)
}

// TestRefusedURL: a connection to the URL is refused, and no listener can
// take its port while the test runs.
func TestRefusedURL(t *testing.T) {
	u := RefusedURL(t)
	addr := strings.TrimPrefix(u, "http://")
	if c, err := net.Dial("tcp", addr); err == nil {
		_ = c.Close()
		t.Fatalf("a connection to %s was accepted", u)
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		_ = ln.Close()
		t.Fatalf("a listener took the port of %s", u)
	}
}
