"""Pure scheduling rules: no I/O, no clock, no Piccolo."""
