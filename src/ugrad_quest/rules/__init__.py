"""Game rules: pure functions of events and a clock. No I/O."""
