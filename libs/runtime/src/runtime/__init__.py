"""What every service process shares: its entry point, settings, wiring, stop, logs, traces."""
