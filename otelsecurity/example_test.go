package otelsecurity_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/acctsec/security"
	"github.com/acctsec/security/httpadapter"
	"github.com/acctsec/security/memstore"
	"github.com/acctsec/security/otelsecurity"
)

// Metrics for Prometheus: the OpenTelemetry Prometheus exporter is a
// reader of the meter provider, and promhttp serves what it collects on
// /metrics. (A real host would keep the default registry:
// prometheus.New() and promhttp.Handler().)
func Example_prometheus() {
	registry := promclient.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry))
	if err != nil {
		log.Fatal(err)
	}
	in, err := otelsecurity.New(otelsecurity.Options{
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
	})
	if err != nil {
		log.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	notifier := security.NotifierFunc(func(context.Context, security.Message) error { return nil })
	svc, err := in.NewService(store, notifier, security.Config{
		Secret:              []byte("q3Hn0Ezp4yV2kX8Wc1sRt6LmUaJ9dGf5BiZoQ7NwYxE="), // from your vault: head -c 32 /dev/urandom | base64
		MaxConcurrentHashes: 4,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	mux.Handle("/", in.Handler(httpadapter.New(svc, httpadapter.Options{}), otelsecurity.HTTPOptions{}))

	// What a scrape of /metrics shows.
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "acctsec_hash_slots") {
			fmt.Println(line)
		}
	}
	// Output:
	// acctsec_hash_slots_in_use{otel_scope_name="github.com/acctsec/security/otelsecurity",otel_scope_schema_url="",otel_scope_version=""} 0
	// acctsec_hash_slots_limit{otel_scope_name="github.com/acctsec/security/otelsecurity",otel_scope_schema_url="",otel_scope_version=""} 4
}
