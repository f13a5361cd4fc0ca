"""The local, seeded replica of ESPNcricinfo Statsguru used by tests, the demo and benchmarks."""
