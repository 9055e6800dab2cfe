// Package e2e holds the end-to-end test of byokctl's key-health alerting
// with a real Prometheus: byokctl serve, byokctl exporter and Prometheus
// with the shipped rules (deploy/prometheus/byok-alerts.yaml), all on
// loopback. It runs under make e2e, which builds byokctl and installs the
// pinned Prometheus; go test skips it without them.
package e2e
