"""Stepwise API: the Litestar app, identity and audit, and the shared core."""

import os

# Piccolo finds its engine through this module; users never set PICCOLO_CONF themselves.
os.environ.setdefault("PICCOLO_CONF", "api.piccolo_conf")
