package main

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the service's Prometheus metrics, on their own registry.
type metrics struct {
	reg       *prometheus.Registry
	issued    prometheus.Counter
	refreshed prometheus.Counter
	verified  prometheus.Counter
	revoked   prometheus.Counter
	unchecked prometheus.Counter
	rejected  *prometheus.CounterVec
	duration  *prometheus.HistogramVec

	mu        sync.RWMutex
	observers map[obsKey]prometheus.Observer // resolved label sets: no allocation per request
}

type obsKey struct {
	route, method string
	status        int
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		issued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quickjwt_tokens_issued_total", Help: "Token pairs minted by POST /tokens.",
		}),
		refreshed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quickjwt_tokens_refreshed_total", Help: "Token pairs issued by POST /refresh.",
		}),
		verified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quickjwt_tokens_verified_total", Help: "Access tokens accepted by /verify.",
		}),
		revoked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quickjwt_revocations_total", Help: "Sessions and subjects revoked by POST /revoke.",
		}),
		unchecked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quickjwt_revocation_unchecked_total", Help: "Tokens /verify accepted without a revocation check, the store being down (verify.revocation: fail-open).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quickjwt_tokens_rejected_total", Help: "Tokens refused, by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "quickjwt_http_request_duration_seconds",
			Help:    "Time to answer a request, by route, method and status.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"route", "method", "status"}),
		observers: map[obsKey]prometheus.Observer{},
	}
	m.reg.MustRegister(m.issued, m.refreshed, m.verified, m.revoked, m.unchecked, m.rejected, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := obsKey{route, method, status}
	m.mu.RLock()
	o, ok := m.observers[k]
	m.mu.RUnlock()
	if !ok {
		// Route paths and methods come from the router, so the set is bounded.
		k.route, k.method = string([]byte(route)), string([]byte(method)) // own copies: Fiber reuses its strings
		o = m.duration.WithLabelValues(k.route, k.method, strconv.Itoa(status))
		m.mu.Lock()
		m.observers[k] = o
		m.mu.Unlock()
	}
	o.Observe(d.Seconds())
}

func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
