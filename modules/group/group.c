/* Not written yet: see docs/architecture.md for the owner. */
