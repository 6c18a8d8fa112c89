// Command otelcol-alexandrite is the OpenTelemetry Collector of the Alexandrite stack:
// upstream's Collector framework with exactly the components deploy/otel-collector/config.yaml
// uses, at one release (go.mod). bin/build-backbone builds it; deploy/otel-collector/Dockerfile
// builds the same module into the image that ships.
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// version is set at link time (bin/build-backbone, the Dockerfile) to OTEL_COLLECTOR_VERSION of
// deploy/versions.env, the release of the modules in go.mod.
var version = "dev"

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-alexandrite",
			Description: "OpenTelemetry Collector of the Alexandrite stack",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
