"""Pure rules of the groups app: no I/O, no clock, no Piccolo."""
