"""Fault-injection and hostile-input tests (reliability.md section 3), marked ``faults``."""
