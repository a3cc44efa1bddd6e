package main

import (
	neturl "net/url"

	"github.com/spf13/cobra"

	"github.com/reporter-dev/reporter/internal/metrics"
)

// healthcheckCommand is `reporter healthcheck [--url URL]` for container
// health checks (the image has no shell or curl): exit 0 when URL answers
// 200. Hidden: it is for images, not people.
func healthcheckCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:    "healthcheck",
		Short:  "Exit 0 when the daemon's health endpoint answers 200",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := neturl.ParseRequestURI(url); err != nil {
				return exit(exitUsage, err)
			}
			if err := metrics.Probe(cmd.Context(), url); err != nil {
				return exit(exitFatal, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:9090/healthz", "health endpoint to query")
	return cmd
}
