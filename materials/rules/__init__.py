"""Pure rules of the materials app: no I/O, no clock."""
