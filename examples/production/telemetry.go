package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/acctsec/security/otelsecurity"
)

// Values of -otel.
const (
	otelOff    = "off"
	otelStdout = "stdout"
	otelOTLP   = "otlp"
)

// parseOTel checks a -otel value.
func parseOTel(v string) (string, error) {
	switch v {
	case otelOff, otelStdout, otelOTLP:
		return v, nil
	}
	return "", fmt.Errorf("-otel (ACCTSEC_OTEL): %q is not off, stdout or otlp", v)
}

// setupTelemetry builds the tracer and meter providers of mode and the
// Instrumentation on them, or nil for off. The stdout exporters write
// pretty-printed JSON to w (stderr: stdout carries the outgoing
// messages); the OTLP/HTTP exporters read the standard environment
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, ...). shutdown
// flushes and stops both providers.
func setupTelemetry(ctx context.Context, mode string, w io.Writer) (in *otelsecurity.Instrumentation, shutdown func(context.Context) error, err error) {
	nothing := func(context.Context) error { return nil }
	var spans sdktrace.SpanExporter
	var metrics sdkmetric.Exporter
	switch mode {
	case otelOff:
		return nil, nothing, nil
	case otelStdout:
		if spans, err = stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint()); err != nil {
			return nil, nil, err
		}
		if metrics, err = stdoutmetric.New(stdoutmetric.WithWriter(w), stdoutmetric.WithPrettyPrint()); err != nil {
			return nil, nil, err
		}
	case otelOTLP:
		if spans, err = otlptracehttp.New(ctx); err != nil {
			return nil, nil, err
		}
		if metrics, err = otlpmetrichttp.New(ctx); err != nil {
			_ = spans.Shutdown(ctx)
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("unknown -otel %q", mode)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName("acctsec-production")))
	if err != nil {
		res = resource.Default() // only a schema mismatch; keep the defaults
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics)), sdkmetric.WithResource(res))
	shutdown = func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}
	in, err = otelsecurity.New(otelsecurity.Options{TracerProvider: tp, MeterProvider: mp,
		Propagators: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})})
	if err != nil {
		_ = shutdown(ctx)
		return nil, nil, err
	}
	return in, shutdown, nil
}
