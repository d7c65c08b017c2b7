"""The groups Piccolo app."""

import os

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="groups",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=table_finder(["groups.tables"], exclude_imported=True),
    migration_dependencies=["scheduling.piccolo_app", "api.identity.piccolo_app"],
    commands=[],
)
