"""Stand-ins for the providers outside the system, run on loopback in tests."""
