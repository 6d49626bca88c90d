"""Hardening checks that print figures: overload, faults, fuzzing, privacy (docs/RELIABILITY.md)."""
