"""Piccolo's configuration: the engine from settings and every app's tables."""

from piccolo.conf.apps import AppRegistry

from api.core.database import create_engine
from api.core.settings import get_settings

DB = create_engine(get_settings().database)

APP_REGISTRY = AppRegistry(
    apps=[
        "api.identity.piccolo_app",
        "scheduling.piccolo_app",
        "groups.piccolo_app",
        "materials.piccolo_app",
    ]
)
